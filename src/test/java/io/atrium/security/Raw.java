package io.atrium.security;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * HTTP/1.1 over a plain socket, byte for byte as written: for what java.net.http refuses to send
 * (a Host header, an unnormalized path, duplicate headers in a chosen order, raw bytes in a path).
 */
final class Raw {
  record Answer(int status, String head, String body) {
    String header(String name) {
      for (String line : head.split("\r\n")) {
        int i = line.indexOf(':');
        if (i > 0 && line.substring(0, i).trim().equalsIgnoreCase(name)) {
          return line.substring(i + 1).trim();
        }
      }
      return null;
    }
  }

  private Raw() {}

  /** Sends {@code head} (request line and headers, CRLF-separated, without the blank line) and {@code body}. */
  static Answer send(int port, String head, byte[] body) {
    Requests.SENT.incrementAndGet();
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      StringBuilder h = new StringBuilder(head);
      if (!head.toLowerCase(Locale.ROOT).contains("\r\nhost:")) {
        h.append("\r\nHost: 127.0.0.1:").append(port);
      }
      h.append("\r\nConnection: close");
      if (body != null) {
        h.append("\r\nContent-Length: ").append(body.length);
      }
      h.append("\r\n\r\n");
      out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
      if (body != null) {
        out.write(body);
      }
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      String text = all.toString(StandardCharsets.UTF_8);
      int split = text.indexOf("\r\n\r\n");
      String rhead = split < 0 ? text : text.substring(0, split);
      String rbody = split < 0 ? "" : text.substring(split + 4);
      if (rhead.toLowerCase(Locale.ROOT).contains("transfer-encoding: chunked")) {
        rbody = dechunk(rbody);
      }
      int status = Integer.parseInt(rhead.split(" ", 3)[1]);
      return new Answer(status, rhead, rbody);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String dechunk(String s) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < s.length()) {
      int eol = s.indexOf("\r\n", i);
      if (eol < 0) {
        break;
      }
      int n = Integer.parseInt(s.substring(i, eol).split(";")[0].trim(), 16);
      if (n == 0) {
        break;
      }
      // Sizes are in bytes; bodies here are ASCII JSON, where bytes and chars agree.
      out.append(s, eol + 2, Math.min(s.length(), eol + 2 + n));
      i = eol + 2 + n + 2;
    }
    return out.toString();
  }
}
