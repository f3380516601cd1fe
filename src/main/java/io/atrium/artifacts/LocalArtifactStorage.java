package io.atrium.artifacts;

import io.atrium.common.MlflowError;
import io.atrium.tenancy.TenantId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Artifacts in a local directory: tenant {@code t}'s path {@code p} is {@code <root>/<t>/<p>}.
 * Uploads are written to {@code <root>/.atrium-tmp/} and moved into place atomically, so a reader
 * never sees half a file and a refused upload leaves nothing.
 *
 * <p>Symbolic links are never followed: every component between the tenant root and the target is
 * checked with {@code NOFOLLOW_LINKS}, and a link anywhere on the way is refused (400). Someone with
 * shell access to the artifact directory could otherwise plant a link to another tenant's folder or
 * to {@code /etc} (the CVE-2023-6977 / CVE-2024-3848 shape).
 */
public final class LocalArtifactStorage implements ArtifactStorage {
  private static final String TMP_DIR = ".atrium-tmp";
  /**
   * Staged parts of multipart uploads: {@code <root>/.atrium-mpu/<tenant>/<upload id>/part-<n>}.
   * Per tenant and on the same file system as the tenant's root (so completing is a move), but
   * outside the tenant's own namespace: no artifact path can name a staging dir, and listings,
   * walks, deletes and gc of the tenant's artifacts never see one without needing a filter.
   */
  private static final String MPU_DIR = ".atrium-mpu";

  private final Path root;
  private final Path tmp;
  private final Path mpu;

  public LocalArtifactStorage(Path root) {
    try {
      Files.createDirectories(root);
      this.root = root.toRealPath();
      this.tmp = this.root.resolve(TMP_DIR);
      Files.createDirectories(tmp);
      this.mpu = this.root.resolve(MPU_DIR);
      Files.createDirectories(mpu);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create artifact root " + root, e);
    }
  }

  /** The file-system path of an artifact, after checking that no component is a symlink. */
  private Path resolve(TenantId tenant, ArtifactPath path) throws IOException {
    Path p = root.resolve(Long.toString(tenant.value()));
    refuseLink(p);
    for (String s : path.segments()) {
      p = p.resolve(s);
      refuseLink(p);
    }
    if (!p.normalize().startsWith(root)) { // belt and braces: ArtifactPath already refused ".."
      throw MlflowError.invalid("Invalid artifact path");
    }
    return p;
  }

  private static void refuseLink(Path p) throws IOException {
    try {
      if (Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isSymbolicLink()) {
        throw MlflowError.invalid("Invalid artifact path: it passes through a symbolic link");
      }
    } catch (NoSuchFileException e) {
      // not there (yet): nothing to follow
    }
  }

  private static Optional<BasicFileAttributes> attrs(Path p) throws IOException {
    try {
      return Optional.of(Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public Optional<Stat> stat(TenantId tenant, ArtifactPath path) throws IOException {
    return attrs(resolve(tenant, path))
        .filter(a -> a.isDirectory() || a.isRegularFile())
        .map(a -> new Stat(a.isDirectory(), a.isDirectory() ? -1 : a.size()));
  }

  @Override
  public InputStream open(TenantId tenant, ArtifactPath path, long offset, long length) throws IOException {
    FileChannel ch = FileChannel.open(resolve(tenant, path), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    ch.position(offset);
    return new BoundedInputStream(Channels.newInputStream(ch), length);
  }

  @Override
  public List<Entry> list(TenantId tenant, ArtifactPath dir) throws IOException {
    Path d = resolve(tenant, dir);
    if (attrs(d).map(a -> !a.isDirectory()).orElse(true)) {
      return List.of();
    }
    List<Entry> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
      for (Path c : ds) {
        Optional<BasicFileAttributes> a = attrs(c);
        if (a.isEmpty() || a.get().isSymbolicLink() || a.get().isOther()) {
          continue; // links and special files are not artifacts
        }
        out.add(new Entry(c.getFileName().toString(), a.get().isDirectory(), a.get().isDirectory() ? -1 : a.get().size()));
      }
    }
    out.sort(Comparator.comparing(Entry::name));
    return out;
  }

  @Override
  public List<StoredFile> walk(TenantId tenant, ArtifactPath path) throws IOException {
    Path start = resolve(tenant, path);
    List<StoredFile> out = new ArrayList<>();
    Optional<BasicFileAttributes> a = attrs(start);
    if (a.isEmpty()) {
      return out;
    }
    if (a.get().isRegularFile()) {
      out.add(new StoredFile(path, a.get().size()));
      return out;
    }
    Files.walkFileTree(start, new SimpleFileVisitor<>() { // does not follow links by default
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        if (attrs.isRegularFile()) {
          StringBuilder rel = new StringBuilder();
          for (Path seg : start.relativize(file)) {
            rel.append(rel.isEmpty() ? "" : "/").append(seg);
          }
          out.add(new StoredFile(path.resolve(ArtifactPath.parse(rel.toString())), attrs.size()));
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return out;
  }

  @Override
  public Staged stage(TenantId tenant, ArtifactPath path, InputStream in) throws IOException {
    Path target = resolve(tenant, path);
    Path file = tmp.resolve(UUID.randomUUID().toString());
    long size = writeNew(file, in);
    return new Staged() {
      private boolean published;

      @Override
      public long size() {
        return size;
      }

      @Override
      public void publish() throws IOException {
        Path parent = target.getParent();
        try {
          createDirectories(parent);
        } catch (FileAlreadyExistsException e) {
          throw MlflowError.invalid("Invalid artifact path: a parent of it is a file");
        }
        resolve(tenant, path); // re-check: no link was planted while the bytes arrived
        if (attrs(target).map(BasicFileAttributes::isDirectory).orElse(false)) {
          throw MlflowError.invalid("Invalid artifact path: it is a directory");
        }
        Files.move(file, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        published = true;
      }

      @Override
      public void close() {
        if (!published) {
          deleteQuietly(file); // a stray temp file is harmless; the next start could sweep .atrium-tmp
        }
      }
    };
  }

  /** Streams {@code in} into a new file (never an existing one); the file is gone again if that fails. */
  private static long writeNew(Path file, InputStream in) throws IOException {
    try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      return in.transferTo(out);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(file);
      throw e;
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // best effort: callers say what removes it otherwise
    }
  }

  /** Like Files.createDirectories, but refusing to pass through a link or a file. */
  private void createDirectories(Path dir) throws IOException {
    if (dir.equals(root)) {
      return;
    }
    Optional<BasicFileAttributes> a = attrs(dir);
    if (a.isPresent()) {
      if (a.get().isSymbolicLink()) {
        throw MlflowError.invalid("Invalid artifact path: it passes through a symbolic link");
      }
      if (!a.get().isDirectory()) {
        throw new FileAlreadyExistsException(dir.toString());
      }
      return;
    }
    createDirectories(dir.getParent());
    try {
      Files.createDirectory(dir);
    } catch (FileAlreadyExistsException e) {
      if (!attrs(dir).map(BasicFileAttributes::isDirectory).orElse(false)) {
        throw e;
      }
    }
  }

  @Override
  public void delete(TenantId tenant, ArtifactPath path) throws IOException {
    if (path.isRoot()) {
      throw new IllegalArgumentException("refusing to delete a tenant root");
    }
    Path start = resolve(tenant, path);
    Optional<BasicFileAttributes> a = attrs(start);
    if (a.isEmpty()) {
      return;
    }
    if (a.get().isDirectory()) {
      Files.walkFileTree(start, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file); // a link is removed itself, its target is untouched
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
          if (e != null) {
            throw e;
          }
          Files.delete(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } else {
      Files.delete(start);
    }
    // Empty parents would otherwise show up as empty directories in listings.
    Path tenantRoot = root.resolve(Long.toString(tenant.value()));
    for (Path p = start.getParent(); p != null && p.startsWith(tenantRoot) && !p.equals(tenantRoot); p = p.getParent()) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
        if (ds.iterator().hasNext()) {
          break;
        }
      }
      try {
        Files.delete(p);
      } catch (IOException e) {
        break; // someone wrote into it meanwhile
      }
    }
  }

  /** Upload ids are made by Atrium ([A-Za-z0-9_-]); checked again since they name a directory. */
  private Path uploadDir(TenantId tenant, String uploadId) {
    if (!uploadId.matches("[A-Za-z0-9_-]{1,64}")) {
      throw new IllegalArgumentException("bad upload id");
    }
    return mpu.resolve(Long.toString(tenant.value())).resolve(uploadId);
  }

  private static Path partFile(Path dir, int partNumber) {
    return dir.resolve(String.format("part-%05d", partNumber));
  }

  @Override
  public String beginMultipart(TenantId tenant, String uploadId, ArtifactPath path) throws IOException {
    resolve(tenant, path); // refuses a link on the way now rather than at the end
    Files.createDirectories(uploadDir(tenant, uploadId));
    return "";
  }

  @Override
  public StagedPart stagePart(TenantId tenant, String uploadId, String storageUploadId, ArtifactPath path, int partNumber,
      InputStream in, long length) throws IOException {
    Path dir = uploadDir(tenant, uploadId);
    Path file = dir.resolve("incoming-" + UUID.randomUUID());
    // CREATE_NEW in the upload's dir: NoSuchFileException when the upload was completed or aborted.
    long size = writeNew(file, in);
    // Not a content hash: the etag only has to tell this stored part from any other one.
    String etag = "\"" + UUID.randomUUID().toString().replace("-", "") + "\"";
    return new StagedPart() {
      private boolean published;

      @Override
      public String etag() {
        return etag;
      }

      @Override
      public long size() {
        return size;
      }

      @Override
      public void publish() throws IOException {
        Files.move(file, partFile(dir, partNumber), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        published = true;
      }

      @Override
      public void close() {
        if (!published) {
          deleteQuietly(file); // otherwise removed with the upload's dir on complete or abort
        }
      }
    };
  }

  @Override
  public Staged completeMultipart(TenantId tenant, String uploadId, String storageUploadId, ArtifactPath path,
      List<Part> parts) throws IOException {
    Path dir = uploadDir(tenant, uploadId);
    List<Path> files = new ArrayList<>();
    for (Part p : parts) {
      files.add(partFile(dir, p.partNumber()));
    }
    // Streams the parts one after the other into an ordinary staged upload: never more than a
    // buffer in memory, and the same publish (link re-check, atomic move) as a single PUT.
    Staged whole;
    try (InputStream in = new ConcatenatedFiles(files)) {
      whole = stage(tenant, path, in);
    }
    return new Staged() {
      @Override
      public long size() {
        return whole.size();
      }

      @Override
      public void publish() throws IOException {
        whole.publish();
        deleteTree(dir);
      }

      @Override
      public void close() {
        whole.close();
      }
    };
  }

  @Override
  public void abortMultipart(TenantId tenant, String uploadId, String storageUploadId, ArtifactPath path) throws IOException {
    deleteTree(uploadDir(tenant, uploadId));
  }

  private static void deleteTree(Path dir) throws IOException {
    if (attrs(dir).isEmpty()) {
      return;
    }
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        Files.deleteIfExists(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /** Files read one after the other, each opened only when the previous one is done. */
  private static final class ConcatenatedFiles extends InputStream {
    private final java.util.Iterator<Path> next;
    private InputStream current = InputStream.nullInputStream();

    ConcatenatedFiles(List<Path> files) {
      this.next = files.iterator();
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      while (true) {
        int n = current.read(b, off, len);
        if (n >= 0 || !next.hasNext()) {
          return n;
        }
        current.close();
        current = Files.newInputStream(next.next(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
      }
    }

    @Override
    public void close() throws IOException {
      current.close();
    }
  }

  @Override
  public void close() {}
}
