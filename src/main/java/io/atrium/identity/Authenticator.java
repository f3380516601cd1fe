package io.atrium.identity;

import static java.util.Objects.requireNonNull;

import io.atrium.common.AccessCache;
import io.atrium.common.AccessEpoch;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Turns the credentials the mlflow client sends into a principal. Every failure (missing,
 * malformed, unknown, expired, revoked, user name not matching) is the same empty answer, so the
 * edge answers all of them with one identical 401.
 *
 * <p>A credential that verified is remembered (by its SHA-256, never in clear) in an {@link
 * AccessCache} until any identity change or for a few seconds, so a busy client costs no database
 * work to authenticate; expiry is checked again on every use. Failures are never cached.
 */
public final class Authenticator {
  /** Who called, and with which token. */
  public record Authenticated(Principal principal, ApiToken token) {}

  // A fixed salt/hash pair checked when the public id is unknown, so an unknown token costs the
  // same hashing work as a known one with a wrong secret.
  private static final String DUMMY_SALT = "00000000000000000000000000000000";
  private static final String DUMMY_HASH = TokenCodec.hash(DUMMY_SALT, "x");

  /** How long a verified credential is trusted without the database, at most. */
  public static final long CACHE_TTL_NANOS = 5_000_000_000L;

  private final IdentityStore store;
  private final Clock clock;
  private final AccessCache<String, Authenticated> verified;

  public Authenticator(IdentityStore store, Clock clock) {
    this(store, clock, new AccessEpoch());
  }

  public Authenticator(IdentityStore store, Clock clock, AccessEpoch epoch) {
    this.store = requireNonNull(store);
    this.clock = requireNonNull(clock);
    this.verified = new AccessCache<>(epoch, CACHE_TTL_NANOS, 100_000, System::nanoTime);
  }

  /**
   * @param authorizationHeaders every {@code Authorization} header of the request; more than one is
   *     refused, since two credentials leave it ambiguous who is asking
   */
  public Optional<Authenticated> authenticate(List<String> authorizationHeaders) {
    if (authorizationHeaders == null || authorizationHeaders.size() != 1) {
      return Optional.empty();
    }
    String header = authorizationHeaders.get(0).trim();
    Authenticated a = verified.get(sha256(header), k -> uncached(header).orElse(null));
    if (a == null || !a.token().activeAt(clock.millis())) {
      return Optional.empty();
    }
    return Optional.of(a);
  }

  private Optional<Authenticated> uncached(String header) {
    int space = header.indexOf(' ');
    if (space < 0) {
      return Optional.empty();
    }
    String scheme = header.substring(0, space).toLowerCase(Locale.ROOT);
    String value = header.substring(space + 1).trim();
    return switch (scheme) {
      case "bearer" -> verify(value, Optional.empty());
      case "basic" -> basic(value);
      default -> Optional.empty();
    };
  }

  private Optional<Authenticated> basic(String encoded) {
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    int colon = decoded.indexOf(':');
    if (colon <= 0) {
      return Optional.empty();
    }
    return verify(decoded.substring(colon + 1), Optional.of(decoded.substring(0, colon)));
  }

  private Optional<Authenticated> verify(String token, Optional<String> expectedUser) {
    Optional<TokenCodec.Parsed> parsed = TokenCodec.parse(token);
    if (parsed.isEmpty()) {
      return Optional.empty();
    }
    Optional<IdentityStore.TokenSecret> row = store.tokenSecret(parsed.get().publicId());
    if (row.isEmpty()) {
      TokenCodec.matches(DUMMY_SALT, DUMMY_HASH, parsed.get().secret());
      return Optional.empty();
    }
    IdentityStore.TokenSecret ts = row.get();
    long now = clock.millis();
    if (!TokenCodec.matches(ts.salt(), ts.secretHash(), parsed.get().secret()) || !ts.token().activeAt(now)) {
      return Optional.empty();
    }
    Optional<Principal> principal = store.principalById(ts.token().principalId());
    if (principal.isEmpty() || expectedUser.map(u -> !u.equals(principal.get().name())).orElse(false)) {
      return Optional.empty();
    }
    store.touchToken(ts.token().id(), now);
    return Optional.of(new Authenticated(principal.get(), ts.token()));
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
