package io.atrium.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class TokenCodecTest {
  private static final String ID = "0123456789abcdef01234567";
  private static final String SECRET = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_aBcDe";

  @Test
  void mintedTokensHaveTheDocumentedShape() {
    TokenCodec.Minted m = TokenCodec.mint();
    assertThat(m.token()).matches("atr_[0-9a-f]{24}_[A-Za-z0-9_-]{43}").hasSize(72);
    assertThat(m.token()).startsWith("atr_" + m.publicId() + "_");
    assertThat(m.salt()).matches("[0-9a-f]{32}");
    assertThat(m.secretHash()).matches("[0-9a-f]{64}");

    TokenCodec.Parsed p = TokenCodec.parse(m.token()).orElseThrow();
    assertThat(p.publicId()).isEqualTo(m.publicId());
    assertThat(m.token()).endsWith("_" + p.secret());
    assertThat(TokenCodec.hash(m.salt(), p.secret())).isEqualTo(m.secretHash());
    assertThat(TokenCodec.matches(m.salt(), m.secretHash(), p.secret())).isTrue();
  }

  @Test
  void theSecretCarries256RandomBits() {
    Set<String> secrets = new HashSet<>();
    Set<String> ids = new HashSet<>();
    Set<String> salts = new HashSet<>();
    for (int i = 0; i < 2000; i++) {
      TokenCodec.Minted m = TokenCodec.mint();
      String secret = TokenCodec.parse(m.token()).orElseThrow().secret();
      assertThat(Base64.getUrlDecoder().decode(secret)).hasSize(32);
      secrets.add(secret);
      ids.add(m.publicId());
      salts.add(m.salt());
    }
    assertThat(secrets).hasSize(2000);
    assertThat(ids).hasSize(2000);
    assertThat(salts).hasSize(2000);
  }

  @Test
  void parseAcceptsExactlyTheFormat() {
    assertThat(TokenCodec.parse("atr_" + ID + "_" + SECRET))
        .contains(new TokenCodec.Parsed(ID, SECRET));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(
      strings = {
        "atr_" + ID + "_" + SECRET + "\n",
        " atr_" + ID + "_" + SECRET,
        "atr_" + ID + "_" + SECRET + "A",
        "atr_" + ID + "_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_aBcD",
        "atr_" + ID + "_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_aBcD=",
        "atr_" + ID + "_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/aBcDe",
        "atr_" + ID + "-" + SECRET,
        "atr_" + "0123456789ABCDEF01234567" + "_" + SECRET,
        "atr_" + "0123456789abcdef0123456" + "_" + SECRET + "x",
        "atr_" + "0123456789abcdef012345678" + "_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_aBcD",
        "atr_" + "0123456789abcdeg01234567" + "_" + SECRET,
        "ATR_" + ID + "_" + SECRET,
        "atx_" + ID + "_" + SECRET,
        "Bearer atr_" + ID + "_" + SECRET,
        "atr__" + ID + SECRET,
        "atr_" + ID + "_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_aBcD\u00e9",
      })
  void parseRejectsNearMisses(String token) {
    assertThat(TokenCodec.parse(token)).isEmpty();
  }

  @Test
  void matchesOnlyTheExactSecretUnderItsOwnSalt() {
    TokenCodec.Minted m = TokenCodec.mint();
    String secret = TokenCodec.parse(m.token()).orElseThrow().secret();
    char last = secret.charAt(secret.length() - 1);
    String oneCharOff = secret.substring(0, secret.length() - 1) + (last == 'A' ? 'B' : 'A');
    String otherSalt = TokenCodec.mint().salt();

    assertThat(TokenCodec.matches(m.salt(), m.secretHash(), secret)).isTrue();
    assertThat(TokenCodec.matches(m.salt(), m.secretHash(), oneCharOff)).isFalse();
    assertThat(TokenCodec.matches(m.salt(), m.secretHash(), "")).isFalse();
    assertThat(TokenCodec.matches(otherSalt, m.secretHash(), secret)).isFalse();
    // A damaged stored hash (wrong length, wrong case) is a mismatch, never an exception.
    assertThat(TokenCodec.matches(m.salt(), m.secretHash().substring(0, 63), secret)).isFalse();
    assertThat(TokenCodec.matches(m.salt(), "", secret)).isFalse();
    assertThat(TokenCodec.matches(m.salt(), m.secretHash().toUpperCase(java.util.Locale.ROOT), secret))
        .isEqualTo(m.secretHash().equals(m.secretHash().toUpperCase(java.util.Locale.ROOT)));
  }

  @Test
  void theHashIsSaltedAndDeterministic() {
    String salt = "00112233445566778899aabbccddeeff";
    assertThat(TokenCodec.hash(salt, SECRET)).isEqualTo(TokenCodec.hash(salt, SECRET)).hasSize(64);
    assertThat(TokenCodec.hash(salt, SECRET)).isNotEqualTo(TokenCodec.hash("ff112233445566778899aabbccddeeff", SECRET));
    // sha256(salt bytes || secret UTF-8): pinned so stored hashes stay valid across releases.
    assertThat(TokenCodec.hash("", "abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void toStringNeverShowsTheSecret() {
    TokenCodec.Minted m = TokenCodec.mint();
    TokenCodec.Parsed p = TokenCodec.parse(m.token()).orElseThrow();
    for (String text : new String[] {m.toString(), p.toString(), String.valueOf(java.util.List.of(m, p))}) {
      assertThat(text)
          .doesNotContain(p.secret())
          .doesNotContain(m.token())
          .doesNotContain(m.secretHash())
          .doesNotContain(m.salt())
          .contains(m.publicId())
          .contains("redacted");
    }
  }
}
