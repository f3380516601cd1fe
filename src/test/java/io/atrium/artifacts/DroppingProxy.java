package io.atrium.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of a real server that resets the connection the first {@code drops} times
 * the client sends bytes containing {@code needle} (say {@code "partNumber="}, in an S3 UploadPart's
 * request line), before those bytes reach the server: the fault a pooled connection the server had
 * closed, or a reset on the way, gives a client. Everything else passes through unchanged.
 */
final class DroppingProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final String upstreamHost;
  private final int upstreamPort;
  private final String needle;
  private final AtomicInteger dropsLeft;
  private final AtomicInteger dropped = new AtomicInteger();

  private DroppingProxy(URI upstream, String needle, int drops) throws IOException {
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.upstreamHost = upstream.getHost();
    this.upstreamPort = upstream.getPort();
    this.needle = needle;
    this.dropsLeft = new AtomicInteger(drops);
    Thread.ofVirtual().name("dropping-proxy").start(this::accept);
  }

  static DroppingProxy start(URI upstream, String needle, int drops) throws IOException {
    return new DroppingProxy(upstream, needle, drops);
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + listener.getLocalPort());
  }

  /** How many connections were reset so far. */
  int dropped() {
    return dropped.get();
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Thread.ofVirtual().start(() -> serve(client));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket client) {
    try (client; Socket upstream = new Socket(upstreamHost, upstreamPort)) {
      Thread back = Thread.ofVirtual().start(() -> copy(upstream, client));
      InputStream in = client.getInputStream();
      OutputStream out = upstream.getOutputStream();
      byte[] buf = new byte[16 * 1024];
      String tail = "";
      for (int n; (n = in.read(buf)) > 0; ) {
        // ISO-8859-1 maps bytes 1:1, so a needle split across two reads is still found.
        String seen = tail + new String(buf, 0, n, StandardCharsets.ISO_8859_1);
        if (seen.contains(needle) && dropsLeft.getAndUpdate(d -> Math.max(0, d - 1)) > 0) {
          dropped.incrementAndGet();
          client.setSoLinger(true, 0); // an RST, not a polite FIN
          return;
        }
        out.write(buf, 0, n);
        tail = seen.substring(Math.max(0, seen.length() - needle.length() + 1));
      }
      upstream.shutdownOutput();
      back.join();
    } catch (IOException e) {
      // one side went away: so does the other (the try closes both)
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void copy(Socket from, Socket to) {
    try {
      from.getInputStream().transferTo(to.getOutputStream());
      to.shutdownOutput();
    } catch (IOException e) {
      // the connection ended
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
