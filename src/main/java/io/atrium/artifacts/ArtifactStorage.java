package io.atrium.artifacts;

import io.atrium.tenancy.TenantId;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * Bytes of artifacts, per tenant. Implementations place tenant {@code t}'s path {@code p} under
 * their own per-tenant root ({@code <root>/<t>/<p>}); a path of one tenant can never name an object
 * of another. Paths arrive already validated ({@link ArtifactPath}); implementations re-check what
 * only they can see (symlinks on a file system).
 */
public interface ArtifactStorage extends AutoCloseable {
  /** A file or a directory (a prefix with objects below it). */
  record Stat(boolean dir, long size) {}

  /** One child of a directory: {@code size} is -1 for directories. */
  record Entry(String name, boolean dir, long size) {}

  /** A file of a tree, relative to the tree's root. */
  record StoredFile(ArtifactPath path, long size) {}

  /** A stored part of a multipart upload: its size counts against the tenant's bytes until the upload ends. */
  record Part(int partNumber, long size, String etag) {}

  /**
   * Bytes received but not yet visible under their path. {@link #publish} makes them visible
   * atomically (replacing what was there); {@link #close} without publishing leaves nothing behind.
   */
  interface Staged extends AutoCloseable {
    long size();

    void publish() throws IOException;

    @Override
    void close();
  }

  Optional<Stat> stat(TenantId tenant, ArtifactPath path) throws IOException;

  /** {@code length} bytes of a file from {@code offset}; the caller checked both against its size. */
  InputStream open(TenantId tenant, ArtifactPath path, long offset, long length) throws IOException;

  /** The children of a directory; empty when it does not exist or is a file. */
  List<Entry> list(TenantId tenant, ArtifactPath dir) throws IOException;

  /** Every file at or below {@code path}. */
  List<StoredFile> walk(TenantId tenant, ArtifactPath path) throws IOException;

  /**
   * Reads {@code in} to its end into a staging area for {@code path}. Exceptions thrown by {@code
   * in} (a quota refusal) propagate after the staged bytes are removed.
   */
  Staged stage(TenantId tenant, ArtifactPath path, InputStream in) throws IOException;

  /** A part received; {@link #publish} makes it the upload's part of that number (replacing an earlier one). */
  interface StagedPart extends Staged {
    String etag();
  }

  /**
   * Starts a multipart upload that will become {@code path}; returns the storage's own id for it
   * ({@code ""} when it needs none). Parts live apart from the tenant's artifacts: no listing, walk
   * or delete of an artifact path sees them.
   */
  String beginMultipart(TenantId tenant, String uploadId, ArtifactPath path) throws IOException;

  /**
   * Reads part {@code partNumber} of an upload from {@code in} ({@code length} bytes, or -1 when
   * unknown). Throws {@link java.nio.file.NoSuchFileException} when the upload is gone.
   */
  StagedPart stagePart(TenantId tenant, String uploadId, String storageUploadId, ArtifactPath path, int partNumber,
      InputStream in, long length) throws IOException;

  /**
   * The given parts, in order, as one file at {@code path}: visible on {@link Staged#publish},
   * after which the upload's staging is gone. Without publishing, the upload stays as it was.
   */
  Staged completeMultipart(TenantId tenant, String uploadId, String storageUploadId, ArtifactPath path, List<Part> parts)
      throws IOException;

  /** Drops an upload's parts; an upload that is already gone is not an error. */
  void abortMultipart(TenantId tenant, String uploadId, String storageUploadId, ArtifactPath path) throws IOException;

  /** Removes the file or the whole tree at {@code path}; a missing path is not an error. */
  void delete(TenantId tenant, ArtifactPath path) throws IOException;

  @Override
  void close();
}
