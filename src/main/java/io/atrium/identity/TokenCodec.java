package io.atrium.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * API token format and hashing. A token reads {@code atr_<public id>_<secret>}: the public id (96
 * random bits, hex) finds the row; the secret (256 random bits, base64url) is checked against
 * {@code sha256(salt || secret)} in constant time. Only the salt and the hash are stored.
 */
public final class TokenCodec {
  private static final Pattern FORMAT = Pattern.compile("^atr_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  public record Parsed(String publicId, String secret) {
    @Override
    public String toString() {
      return "Parsed[publicId=" + publicId + ", secret=<redacted>]";
    }
  }

  public record Minted(String token, String publicId, String salt, String secretHash) {
    @Override
    public String toString() {
      return "Minted[publicId=" + publicId + ", token=<redacted>]";
    }
  }

  private TokenCodec() {}

  public static Minted mint() {
    byte[] pub = new byte[12];
    byte[] secret = new byte[32];
    byte[] salt = new byte[16];
    RANDOM.nextBytes(pub);
    RANDOM.nextBytes(secret);
    RANDOM.nextBytes(salt);
    String publicId = HEX.formatHex(pub);
    String secretText = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    String saltHex = HEX.formatHex(salt);
    return new Minted("atr_" + publicId + "_" + secretText, publicId, saltHex, hash(saltHex, secretText));
  }

  public static Optional<Parsed> parse(String token) {
    if (token == null || token.length() != 72) {
      return Optional.empty();
    }
    Matcher m = FORMAT.matcher(token);
    return m.matches() ? Optional.of(new Parsed(m.group(1), m.group(2))) : Optional.empty();
  }

  public static String hash(String saltHex, String secret) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(HEX.parseHex(saltHex));
      md.update(secret.getBytes(StandardCharsets.UTF_8));
      return HEX.formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Constant-time comparison of a presented secret against a stored hash. */
  public static boolean matches(String saltHex, String storedHash, String secret) {
    return MessageDigest.isEqual(
        hash(saltHex, secret).getBytes(StandardCharsets.US_ASCII), storedHash.getBytes(StandardCharsets.US_ASCII));
  }
}
