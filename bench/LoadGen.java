// Atrium's benchmark load generator: ONE program that drives every server under test (Atrium,
// the MLflow tracking server, FastTrackML) through the MLflow REST API.
//
// Single file, JDK only (its own HTTP/1.1 client on virtual threads, hand-built JSON), so it runs
// with the source launcher:   java bench/LoadGen.java <op> --url http://127.0.0.1:5000[/t/tenant] [options]
// Prints one JSON object on stdout: throughput, latency percentiles, errors, 429s and the load
// generator's own CPU time (so a report can show it was not the bottleneck). Progress goes to stderr.
//
// Ops (see bench/README.md for the workloads built from them):
//   ingest       closed loop; each client logs log-batch of --points metric points to its own run
//                (first call also 10 params + 10 tags, and 20 fewer points: MLflow's 1,000-entity cap)
//   chatty       closed loop; single runs/log-metric calls
//   runs         closed loop; runs/create + runs/update(FINISHED) pairs
//   load-runs    creates --runs runs (20 params, 10 metrics, 5 tags each) in --experiment-name,
//                numbered from --run-from (default 0)
//   search       closed loop; runs/search with --filter / --order-by / --max-results, on page --page
//   load-history one run with --points points of metric "loss", plus --runs runs with --run-points each
//   history      closed loop; metrics/get-history of the big run (all pages) -> latency per full fetch
//   bulk-interval closed loop; metrics/get-history-bulk-interval over the small runs
//   tenants      (Atrium admin API) creates tenants, one user who edits all of them, and its token
//   noisy        tenant Q open-loop (get-run + small log-batch) alone, then with tenant N flooding
//   flood        tenant N's flood, as the child process that noisy starts
//
// Every loop is bounded in count and time: --duration (seconds, default 10) and --count (requests,
// default unbounded); whichever comes first ends it, and --max-seconds (default 3600) caps setups.
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class LoadGen {
  static final String API = "/api/2.0/mlflow";
  static Map<String, String> opt = new LinkedHashMap<>();
  static final ExecutorService VT = Executors.newVirtualThreadPerTaskExecutor();
  /** One reading of both clocks, so a nanoTime can be shown as wall-clock time (to line up with a GC log). */
  static final long NANO0 = System.nanoTime();
  static final long EPOCH_MS_AT_NANO0 = System.currentTimeMillis();

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].startsWith("-")) {
      System.err.println("usage: java bench/LoadGen.java <op> --url URL [--token T] [--clients N] [--duration S] [--count N] ...");
      System.exit(2);
    }
    String op = args[0];
    for (int i = 1; i < args.length; i++) {
      if (!args[i].startsWith("--")) die("unexpected argument " + args[i]);
      String k = args[i].substring(2);
      if (i + 1 < args.length && !args[i + 1].startsWith("--")) opt.put(k, args[++i]);
      else opt.put(k, "true");
    }
    long cpu0 = cpuNanos();
    long t0 = System.nanoTime();
    Map<String, Object> out =
        switch (op) {
          case "ingest" -> ingest();
          case "chatty" -> chatty();
          case "runs" -> runPairs();
          case "load-runs" -> loadRuns();
          case "search" -> search();
          case "load-history" -> loadHistory();
          case "history" -> history();
          case "bulk-interval" -> bulkInterval();
          case "tenants" -> tenants();
          case "noisy" -> noisy();
          case "flood" -> flood();
          default -> throw die("unknown op " + op);
        };
    Map<String, Object> res = new LinkedHashMap<>();
    res.put("op", op);
    res.putAll(out);
    double wall = (System.nanoTime() - t0) / 1e9;
    double cpu = (cpuNanos() - cpu0) / 1e9;
    res.put("loadgen_total_wall_s", round(wall));
    res.put("loadgen_total_cpu_s", round(cpu));
    System.out.println(json(res));
    System.out.flush();
    System.exit(0);
  }

  // ------------------------------------------------------------------ options

  static String s(String k, String def) {
    return opt.getOrDefault(k, def);
  }

  static String req(String k) {
    String v = opt.get(k);
    if (v == null) throw die("--" + k + " is required");
    return v;
  }

  static int i(String k, int def) {
    return Integer.parseInt(s(k, Integer.toString(def)));
  }

  static double d(String k, double def) {
    return Double.parseDouble(s(k, Double.toString(def)));
  }

  static RuntimeException die(String msg) {
    System.err.println("loadgen: " + msg);
    System.exit(2);
    return new IllegalStateException(msg);
  }

  static void log(String msg) {
    System.err.println("[loadgen] " + msg);
  }

  // ------------------------------------------------------------------ HTTP

  /** One server endpoint (base URL + optional bearer token) over a connection pool (see RawHttp). */
  static final class Api {
    final String base;
    final String basePath;
    final String token;
    final RawHttp http;

    Api(String base, String token) {
      this(base, token, new RawHttp(base));
    }

    Api(String base, String token, RawHttp http) {
      this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
      this.token = token == null || token.isEmpty() ? null : token;
      this.http = http;
      String p = URI.create(this.base).getRawPath();
      this.basePath = p == null ? "" : p;
    }

    /** `path` is raw (already URL-encoded), below the base URL's path. */
    Resp send(String method, String path, String body) {
      try {
        return http.exchange(method, basePath + path, token == null ? null : "Bearer " + token,
            body == null ? null : body.getBytes(StandardCharsets.UTF_8), true);
      } catch (IOException e) {
        return new Resp(-1, "io: " + e);
      }
    }

    /** Sends and insists on 200; a failure throws Fail (counted as an error, or 429). */
    String ok(String method, String path, String body) {
      Resp r = send(method, path, body);
      if (r.status != 200) {
        String shown = path.length() > 120 ? path.substring(0, 120) + "..." : path;
        throw new Fail(r.status, method + " " + shown + " -> " + r.status + " " + abbrev(r.body));
      }
      return r.body;
    }

    String post(String path, String body) {
      return ok("POST", API + path, body);
    }

    String get(String pathAndQuery) {
      return ok("GET", API + pathAndQuery, null);
    }
  }

  record Resp(int status, String body) {}

  /**
   * The load generator's HTTP/1.1 client, the same for every server: blocking sockets on virtual
   * threads, one per request in flight, kept alive and reused; a request is written as bytes and the
   * answer read by its status line, headers and body (by Content-Length or chunks), the body kept
   * only when the caller needs it (a run id to parse). The clients stand for training jobs on other
   * machines, so what the generator costs this 2-core box is CPU taken from the server under test:
   * with the JDK's HttpClient it took 0.56 of the 2 cores at 600 requests/s, and in W5 a whole core.
   *
   * <p>A pooled connection the server has closed while idle (its keep-alive timeout) fails on its
   * next use before any byte of an answer arrives; such a request is sent once more on a fresh
   * connection, as browsers and the JDK's client do. Nothing is resent once an answer has begun.
   */
  static final class RawHttp {
    final String host;
    final int port;
    final String prefix;
    final java.util.concurrent.ConcurrentLinkedDeque<Conn> idle = new java.util.concurrent.ConcurrentLinkedDeque<>();

    record Conn(java.net.Socket socket, java.io.InputStream in, java.io.OutputStream out) {}

    /** A pool for the host and port of `base`; its path is the prefix of {@link #post}'s paths. */
    RawHttp(String base) {
      URI u = URI.create(base);
      host = u.getHost();
      port = u.getPort() < 0 ? 80 : u.getPort();
      String p = u.getRawPath() == null ? "" : u.getRawPath();
      prefix = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    /** The flood's call: POSTs a JSON body below the base path; the answer's status, -1 when the connection failed. */
    int post(String path, String auth, byte[] body) {
      try {
        return exchange("POST", prefix + path, auth, body, false).status();
      } catch (IOException e) {
        return -1;
      }
    }

    /** One request; the answer's status and (when `keepBody`) its body as text. */
    Resp exchange(String method, String target, String auth, byte[] body, boolean keepBody) throws IOException {
      for (int attempt = 0; ; attempt++) {
        // The resend goes on a fresh connection: the next pooled one may have idled out as well.
        Conn c = attempt == 0 ? idle.pollFirst() : null;
        boolean reused = c != null;
        if (c == null) c = open();
        boolean answered = false;
        try {
          StringBuilder head = new StringBuilder(256).append(method).append(' ').append(target)
              .append(" HTTP/1.1\r\nHost: ").append(host).append(':').append(port).append("\r\n");
          if (auth != null) head.append("Authorization: ").append(auth).append("\r\n");
          if (body != null) head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
          else if (!method.equals("GET")) head.append("Content-Length: 0\r\n");
          c.out().write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
          if (body != null) c.out().write(body);
          c.out().flush();
          int first = c.in().read();
          if (first < 0) throw new IOException("connection closed before an answer");
          answered = true;
          java.io.ByteArrayOutputStream kept = keepBody ? new java.io.ByteArrayOutputStream(1024) : null;
          int status = readResponse(first, c.in(), kept);
          if (status > 0) idle.addFirst(c);
          else c.socket().close();
          return new Resp(Math.abs(status), kept == null ? "" : kept.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
          try {
            c.socket().close();
          } catch (IOException ignored) {
            // gone anyway
          }
          if (!reused || answered || attempt > 0) throw e;
        }
      }
    }

    Conn open() throws IOException {
      java.net.Socket so = new java.net.Socket(host, port);
      so.setTcpNoDelay(true);
      so.setSoTimeout(i("request-timeout", 300) * 1000);
      return new Conn(so, new java.io.BufferedInputStream(so.getInputStream(), 16 * 1024),
          new java.io.BufferedOutputStream(so.getOutputStream(), 16 * 1024));
    }

    /** Reads one answer whose first byte is `first`; its status, negative when the server closes the connection after it. */
    static int readResponse(int first, java.io.InputStream in, java.io.OutputStream body) throws IOException {
      String status = (char) first + line(in);
      String[] parts = status.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) throw new IOException("bad status line: " + status);
      int code = Integer.parseInt(parts[1]);
      long length = -1;
      boolean chunked = false;
      boolean close = parts[0].equals("HTTP/1.0");
      for (String h; !(h = line(in)).isEmpty(); ) {
        int colon = h.indexOf(':');
        if (colon < 0) continue;
        String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = h.substring(colon + 1).trim();
        switch (name) {
          case "content-length" -> length = Long.parseLong(value);
          case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
          case "connection" -> close = value.equalsIgnoreCase("close");
          default -> { }
        }
      }
      if (chunked) {
        for (long n; (n = Long.parseLong(line(in).split(";", 2)[0].trim(), 16)) > 0; ) {
          copy(in, n, body);
          line(in);
        }
        while (!line(in).isEmpty()) {
          // trailers
        }
      } else if (length > 0) {
        copy(in, length, body);
      } else if (length < 0 && code != 204 && code != 304) {
        // A body until the server closes: nothing to reuse.
        byte[] buf = new byte[8192];
        for (int k; (k = in.read(buf)) > 0; ) if (body != null) body.write(buf, 0, k);
        close = true;
      }
      return close ? -code : code;
    }

    static String line(java.io.InputStream in) throws IOException {
      StringBuilder b = new StringBuilder(64);
      for (int ch; (ch = in.read()) != '\n'; ) {
        if (ch < 0) throw new IOException("connection closed");
        if (ch != '\r') b.append((char) ch);
      }
      return b.toString();
    }

    /** Reads n bytes into `to`, or skips them when it is null. */
    static void copy(java.io.InputStream in, long n, java.io.OutputStream to) throws IOException {
      byte[] buf = to == null ? null : new byte[(int) Math.min(n, 8192)];
      while (n > 0) {
        long k;
        if (to == null) {
          k = in.skip(n);
          if (k <= 0) {
            if (in.read() < 0) throw new IOException("connection closed");
            k = 1;
          }
        } else {
          k = in.read(buf, 0, (int) Math.min(n, buf.length));
          if (k < 0) throw new IOException("connection closed");
          to.write(buf, 0, (int) k);
        }
        n -= k;
      }
    }
  }

  static final class Fail extends RuntimeException {
    final int status;

    Fail(int status, String msg) {
      super(msg, null, false, false);
      this.status = status;
    }
  }

  static String abbrev(String s) {
    if (s == null) return "";
    s = s.replace('\n', ' ');
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** Base URLs: --url, or --url-template with %d and --tenants N (tenant i = template formatted with i). */
  static List<Api> apis() {
    String token = s("token", "");
    String tmpl = opt.get("url-template");
    List<Api> l = new ArrayList<>();
    if (tmpl != null) {
      int n = i("tenants", 1);
      for (int t = i("tenant-from", 0); t < n; t++) l.add(new Api(String.format(Locale.ROOT, tmpl, t), token));
    } else {
      l.add(new Api(req("url"), token));
    }
    // One connection pool for all tenants of a server (they are the same host:port).
    if (l.size() > 1) {
      RawHttp shared = l.get(0).http;
      for (int t = 1; t < l.size(); t++) l.set(t, new Api(l.get(t).base, token, shared));
    }
    return l;
  }

  // ------------------------------------------------------------------ MLflow calls

  static final Pattern RUN_ID = Pattern.compile("\"run_id\"\\s*:\\s*\"([^\"]+)\"");
  static final Pattern EXP_ID = Pattern.compile("\"experiment_id\"\\s*:\\s*\"([^\"]+)\"");
  static final Pattern NEXT = Pattern.compile("\"next_page_token\"\\s*:\\s*\"([^\"]+)\"");
  static final Pattern INFO = Pattern.compile("\"info\"\\s*:");
  static final Pattern KEY = Pattern.compile("\"key\"\\s*:");

  static String first(Pattern p, String body, String what) {
    Matcher m = p.matcher(body);
    if (!m.find()) throw new Fail(0, "no " + what + " in " + abbrev(body));
    return m.group(1);
  }

  static int count(Pattern p, String body) {
    Matcher m = p.matcher(body);
    int n = 0;
    while (m.find()) n++;
    return n;
  }

  /** Experiment id by name, creating it when missing. */
  static String experiment(Api api, String name) {
    Resp r = api.send("GET", API + "/experiments/get-by-name?experiment_name=" + enc(name), null);
    if (r.status == 200) return first(EXP_ID, r.body, "experiment_id");
    Resp c = api.send("POST", API + "/experiments/create", "{\"name\":" + q(name) + "}");
    if (c.status == 200) return first(EXP_ID, c.body, "experiment_id");
    // Lost a race with another client creating it.
    return first(EXP_ID, api.get("/experiments/get-by-name?experiment_name=" + enc(name)), "experiment_id");
  }

  static String createRun(Api api, String expId, String name, String tagsJson) {
    String body =
        "{\"experiment_id\":" + q(expId) + ",\"run_name\":" + q(name) + ",\"start_time\":" + System.currentTimeMillis()
            + (tagsJson == null ? "" : ",\"tags\":" + tagsJson) + "}";
    return first(RUN_ID, api.post("/runs/create", body), "run_id");
  }

  static void finishRun(Api api, String runId) {
    api.post("/runs/update", "{\"run_id\":" + q(runId) + ",\"status\":\"FINISHED\",\"end_time\":" + System.currentTimeMillis() + "}");
  }

  static String q(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        default -> {
          if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    return b.append('"').toString();
  }

  /** {"key":..,"value":..} list. */
  static String kv(String prefix, int n, String valuePrefix) {
    StringBuilder b = new StringBuilder("[");
    for (int k = 0; k < n; k++) {
      if (k > 0) b.append(',');
      b.append("{\"key\":\"").append(prefix).append(k).append("\",\"value\":\"").append(valuePrefix).append(k).append("\"}");
    }
    return b.append(']').toString();
  }

  /** n metric points over `keys` keys (m0..), steps from step0, appended to b. */
  static void metrics(StringBuilder b, String keyPrefix, int keys, int n, long step0, long ts) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    b.append('[');
    for (int k = 0; k < n; k++) {
      if (k > 0) b.append(',');
      b.append("{\"key\":\"").append(keyPrefix).append(keys == 1 ? "" : Integer.toString(k % keys)).append("\",\"value\":")
          .append(String.format(Locale.ROOT, "%.6f", r.nextDouble())).append(",\"timestamp\":").append(ts)
          .append(",\"step\":").append(step0 + k / keys).append('}');
    }
    b.append(']');
  }

  // ------------------------------------------------------------------ recording

  /** Latency samples of one client: plain long[] (ns), grown by doubling. */
  static final class Samples {
    long[] lat = new long[1024];
    int n;
    long ok, errors, throttled, units;
    String firstError;
    final Map<Integer, Long> statuses = new LinkedHashMap<>();

    void add(long nanos) {
      if (n == lat.length) lat = Arrays.copyOf(lat, n * 2);
      lat[n++] = nanos;
    }

    /** Per request, when --q-trace asks: scheduled wall-clock ms, latency µs, request number. */
    List<long[]> trace;

    void fail(Fail f) {
      statuses.merge(f.status, 1L, Long::sum);
      if (f.status == 429) throttled++;
      else {
        errors++;
        if (firstError == null) firstError = f.getMessage();
      }
    }

    void merge(Samples o) {
      for (int k = 0; k < o.n; k++) add(o.lat[k]);
      ok += o.ok;
      errors += o.errors;
      throttled += o.throttled;
      units += o.units;
      if (firstError == null) firstError = o.firstError;
      o.statuses.forEach((k, v) -> statuses.merge(k, v, Long::sum));
    }
  }

  /** Percentiles in ms of ok requests, throughput over wall seconds, CPU of this process. */
  static Map<String, Object> report(Samples s, double wall, double cpu, String unitName) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("wall_s", round(wall));
    m.put("requests", s.ok + s.errors + s.throttled);
    m.put("ok", s.ok);
    m.put("errors", s.errors);
    m.put("throttled_429", s.throttled);
    m.put("throughput_per_s", round(s.ok / Math.max(wall, 1e-9)));
    if (unitName != null) {
      m.put("units", unitName);
      m.put("units_total", s.units);
      m.put("units_per_s", round(s.units / Math.max(wall, 1e-9)));
    }
    long[] a = Arrays.copyOf(s.lat, s.n);
    Arrays.sort(a);
    Map<String, Object> l = new LinkedHashMap<>();
    l.put("p50", pct(a, 50));
    l.put("p90", pct(a, 90));
    l.put("p99", pct(a, 99));
    l.put("max", a.length == 0 ? null : round(a[a.length - 1] / 1e6));
    l.put("mean", a.length == 0 ? null : round(Arrays.stream(a).average().orElse(0) / 1e6));
    l.put("samples", a.length);
    m.put("latency_ms", l);
    m.put("loadgen_cpu_s", round(cpu));
    m.put("loadgen_cpu_cores", round(cpu / Math.max(wall, 1e-9)));
    if (!s.statuses.isEmpty()) {
      Map<String, Object> st = new LinkedHashMap<>();
      s.statuses.forEach((k, v) -> st.put(Integer.toString(k), v));
      m.put("failed_statuses", st);
    }
    if (s.firstError != null) m.put("first_error", s.firstError);
    return m;
  }

  static Double pct(long[] sorted, double p) {
    if (sorted.length == 0) return null;
    int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return round(sorted[Math.max(0, Math.min(sorted.length - 1, idx))] / 1e6);
  }

  static double round(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }

  static long cpuNanos() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) return sun.getProcessCpuTime();
    return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }

  // ------------------------------------------------------------------ closed loop

  /** A client's timed step; returns the units it accomplished (points, pairs, ...). Throws Fail. */
  interface Step {
    long run(long iteration);
  }

  /**
   * Runs `clients` clients; each first builds its Step (setup, untimed), then all start together and
   * loop until --duration seconds or --count steps in total, whichever first.
   */
  static Map<String, Object> closedLoop(int clients, IntFunction<Step> setup, String unitName) throws Exception {
    double duration = d("duration", 10);
    long count = Long.parseLong(s("count", Long.toString(Long.MAX_VALUE)));
    AtomicLong tickets = new AtomicLong(count);
    Step[] steps = new Step[clients];
    Samples[] samples = new Samples[clients];
    AtomicReference<Throwable> setupError = new AtomicReference<>();
    long setupStart = System.nanoTime();
    CountDownLatch ready = new CountDownLatch(clients);
    for (int c = 0; c < clients; c++) {
      int cc = c;
      VT.submit(() -> {
        try {
          // Set-up (experiments, runs) is retried: a server that sheds load at the start of a heavy
          // workload is measured by the timed loop, not made to abort it.
          for (int attempt = 1; ; attempt++) {
            try {
              steps[cc] = setup.apply(cc);
              break;
            } catch (Fail f) {
              if (attempt >= 5) throw f;
              Thread.sleep(1000L * attempt);
            }
          }
        } catch (Throwable t) {
          setupError.compareAndSet(null, t);
        } finally {
          ready.countDown();
        }
      });
    }
    if (!ready.await((long) d("max-seconds", 3600), TimeUnit.SECONDS)) throw die("setup timed out");
    if (setupError.get() != null) throw die("setup failed: " + setupError.get());
    double setupS = (System.nanoTime() - setupStart) / 1e9;
    long[] iters = new long[clients];
    double warmup = d("warmup", 0);
    if (warmup > 0) {
      // Untimed: the same loop for --warmup seconds (JIT, caches, connection pools), samples dropped.
      long wEnd = System.nanoTime() + (long) (warmup * 1e9);
      CountDownLatch wDone = new CountDownLatch(clients);
      for (int c = 0; c < clients; c++) {
        int cc = c;
        VT.submit(() -> {
          try {
            for (; System.nanoTime() < wEnd && iters[cc] < 1_000_000; iters[cc]++) {
              try {
                steps[cc].run(iters[cc]);
              } catch (Fail f) {
                // counted nowhere: warm-up
              }
            }
          } catch (Throwable t) {
            // ignored in warm-up; the timed loop reports errors
          } finally {
            wDone.countDown();
          }
        });
      }
      wDone.await();
    }
    long cpu0 = cpuNanos();
    long start = System.nanoTime();
    long deadline = start + (long) (duration * 1e9);
    CountDownLatch done = new CountDownLatch(clients);
    for (int c = 0; c < clients; c++) {
      int cc = c;
      samples[cc] = new Samples();
      VT.submit(() -> {
        Samples sm = samples[cc];
        try {
          for (long it = iters[cc]; System.nanoTime() < deadline && tickets.getAndDecrement() > 0; it++) {
            long a = System.nanoTime();
            try {
              long u = steps[cc].run(it);
              sm.add(System.nanoTime() - a);
              sm.ok++;
              sm.units += u;
            } catch (Fail f) {
              sm.fail(f);
            }
          }
        } catch (Throwable t) {
          sm.errors++;
          if (sm.firstError == null) sm.firstError = t.toString();
        } finally {
          done.countDown();
        }
      });
    }
    done.await();
    double wall = (System.nanoTime() - start) / 1e9;
    double cpu = (cpuNanos() - cpu0) / 1e9;
    Samples all = new Samples();
    for (Samples sm : samples) all.merge(sm);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("clients", clients);
    m.put("setup_s", round(setupS));
    m.putAll(report(all, wall, cpu, unitName));
    return m;
  }

  // ------------------------------------------------------------------ workloads

  /** W1: log-batch of --points points; the first call of each run also carries 10 params + 10 tags. */
  static Map<String, Object> ingest() throws Exception {
    List<Api> apis = apis();
    int clients = i("clients", 8);
    int points = i("points", 1000);
    int extras = i("params", 10);
    int keys = i("keys", 10);
    String expName = s("experiment-name", "bench-ingest");
    Map<String, Object> m =
        closedLoop(clients, c -> {
          // Client c owns one run in each tenant t with t % clients == c (every tenant used when tenants > clients).
          List<Api> mine = new ArrayList<>();
          List<String> runs = new ArrayList<>();
          for (int t = c % apis.size(); t < apis.size(); t += clients) {
            Api api = apis.get(t);
            mine.add(api);
            runs.add(createRun(api, experiment(api, expName), "ingest-" + c, null));
            if (apis.size() <= clients) break;
          }
          boolean[] firstDone = new boolean[runs.size()];
          long[] step = new long[runs.size()];
          return it -> {
            int k = (int) (it % runs.size());
            StringBuilder b = new StringBuilder(points * 80 + 2000);
            b.append("{\"run_id\":").append(q(runs.get(k))).append(",\"metrics\":");
            int n = points;
            if (!firstDone[k]) n = Math.max(0, points - 2 * extras);
            metrics(b, "m", keys, n, step[k], System.currentTimeMillis());
            if (!firstDone[k]) {
              b.append(",\"params\":").append(kv("param", extras, "value-"));
              b.append(",\"tags\":").append(kv("tag", extras, "tag-value-"));
            }
            b.append('}');
            mine.get(k).post("/runs/log-batch", b.toString());
            firstDone[k] = true;
            step[k] += (n + keys - 1) / keys;
            return n;
          };
        }, "metric_points");
    m.put("tenants", apis.size());
    m.put("points_per_batch", points);
    return m;
  }

  /** W2: single log-metric calls. */
  static Map<String, Object> chatty() throws Exception {
    List<Api> apis = apis();
    Api api = apis.get(0);
    String exp = experiment(api, s("experiment-name", "bench-chatty"));
    return closedLoop(i("clients", 8), c -> {
      String run = createRun(api, exp, "chatty-" + c, null);
      return it -> {
        api.post("/runs/log-metric", "{\"run_id\":" + q(run) + ",\"key\":\"loss\",\"value\":"
            + String.format(Locale.ROOT, "%.6f", ThreadLocalRandom.current().nextDouble()) + ",\"timestamp\":"
            + System.currentTimeMillis() + ",\"step\":" + it + "}");
        return 1;
      };
    }, "metric_points");
  }

  /** W5: create-run + update-run(FINISHED) pairs. */
  static Map<String, Object> runPairs() throws Exception {
    Api api = apis().get(0);
    String exp = experiment(api, s("experiment-name", "bench-runs"));
    return closedLoop(i("clients", 16), c -> it -> {
      String run = createRun(api, exp, "pair-" + c + "-" + it, null);
      finishRun(api, run);
      return 1;
    }, "run_pairs");
  }

  /**
   * W3 set-up: --runs runs in --experiment-name (in every tenant of --url-template), each with 20
   * params (p0 in {a,b}: the filter's param), 10 metrics m0..m9 uniform in [0,1), 5 tags (sent
   * with runs/create). Two requests per run: runs/create and one runs/log-batch.
   *
   * <p>Runs are numbered from --run-from, and run g's names and values come from g alone (its own
   * Random seeded with g), so growing an experiment later (--run-from 10000) gives the runs one
   * load of all of them would have; bench.py seeds MLflow's growth with the same values.
   */
  static Map<String, Object> loadRuns() throws Exception {
    List<Api> apis = apis();
    int runsPer = i("runs", 10000);
    long runFrom = Long.parseLong(s("run-from", "0"));
    String expName = s("experiment-name", "bench-search");
    int clients = i("clients", 8);
    String[] exps = new String[apis.size()];
    for (int t = 0; t < apis.size(); t++) exps[t] = experiment(apis.get(t), expName);
    long total = (long) runsPer * apis.size();
    opt.put("count", Long.toString(total));
    opt.putIfAbsent("duration", s("max-seconds", "3600"));
    AtomicLong next = new AtomicLong();
    AtomicLong lastLog = new AtomicLong(System.nanoTime());
    Map<String, Object> m =
        closedLoop(clients, c -> it -> {
          long n = next.getAndIncrement();
          long g = runFrom + n;
          int t = (int) (n % apis.size());
          Api api = apis.get(t);
          Random r = new Random(g * 7919L + 17);
          StringBuilder tags = new StringBuilder("[");
          for (int k = 0; k < 5; k++) {
            if (k > 0) tags.append(',');
            tags.append("{\"key\":\"t").append(k).append("\",\"value\":\"tag").append(k).append('-').append(g % 10).append("\"}");
          }
          tags.append(']');
          String run = createRun(api, exps[t], "r" + g, tags.toString());
          StringBuilder b = new StringBuilder(4000);
          b.append("{\"run_id\":").append(q(run)).append(",\"params\":[");
          for (int k = 0; k < 20; k++) {
            if (k > 0) b.append(',');
            String v = k == 0 ? (g % 2 == 0 ? "a" : "b") : "v" + k + "-" + r.nextInt(1000);
            b.append("{\"key\":\"p").append(k).append("\",\"value\":\"").append(v).append("\"}");
          }
          b.append("],\"metrics\":[");
          long ts = System.currentTimeMillis();
          for (int k = 0; k < 10; k++) {
            if (k > 0) b.append(',');
            b.append("{\"key\":\"m").append(k).append("\",\"value\":")
                .append(String.format(Locale.ROOT, "%.6f", r.nextDouble())).append(",\"timestamp\":").append(ts)
                .append(",\"step\":0}");
          }
          b.append("]}");
          api.post("/runs/log-batch", b.toString());
          long now = System.nanoTime();
          long prev = lastLog.get();
          if (now - prev > 15_000_000_000L && lastLog.compareAndSet(prev, now)) log("loaded " + (n + 1) + " / " + total + " runs");
          return 1;
        }, "runs");
    m.put("runs_per_tenant", runsPer);
    m.put("run_from", runFrom);
    m.put("tenants", apis.size());
    m.put("experiment_ids", apis.size() == 1 ? exps[0] : exps.length + " experiments");
    return m;
  }

  static String searchBody(String expId, String pageToken, int maxResults) {
    String filter = s("filter", "metrics.m0 > 0.5 and params.p0 = 'a'");
    String orderBy = s("order-by", "metrics.m1 DESC");
    return "{\"experiment_ids\":[" + q(expId) + "],\"filter\":" + q(filter) + ",\"order_by\":[" + q(orderBy)
        + "],\"max_results\":" + maxResults + ",\"run_view_type\":\"ACTIVE_ONLY\""
        + (pageToken == null ? "" : ",\"page_token\":" + q(pageToken)) + "}";
  }

  /**
   * W3: runs/search on page --page (1 = first); a deep page reuses the token found in set-up.
   *
   * <p>Every server's run-search token is an offset (base64 of {"offset": N} in all three), so the
   * token of page P comes from ONE search of (P - 1) * max_results runs instead of P - 1 pages in
   * turn: at 100,000 runs one MLflow search on SQLite took about 5 minutes, so walking to page 20
   * would cost 1.5 hours before the first timed request. That one search stays under the servers'
   * caps on max_results (MLflow and Atrium 50,000; FastTrackML 1,000,000).
   */
  static Map<String, Object> search() throws Exception {
    List<Api> apis = apis();
    String expName = s("experiment-name", "bench-search");
    int page = i("page", 1);
    int maxResults = i("max-results", 100);
    int expect = i("expect", 1);
    String[] exps = new String[apis.size()];
    String token = null;
    for (int t = 0; t < apis.size(); t++) exps[t] = first(EXP_ID, apis.get(t).get("/experiments/get-by-name?experiment_name=" + enc(expName)), "experiment_id");
    if (page > 1) {
      if (apis.size() > 1) throw die("--page > 1 with many tenants is not supported");
      int skip = (page - 1) * maxResults;
      if (skip > 50000) throw die("page " + page + " lies past offset 50,000 (MLflow's cap on max_results)");
      String body = apis.get(0).post("/runs/search", searchBody(exps[0], null, skip));
      int n = count(INFO, body);
      Matcher mm = NEXT.matcher(body);
      if (n != skip || !mm.find()) throw die("no page " + page + ": the first " + skip + " runs gave " + n
          + " (the filter matches too few runs)");
      token = mm.group(1);
    }
    String tok = token;
    Map<String, Object> m =
        closedLoop(i("clients", 4), c -> it -> {
          int t = apis.size() == 1 ? 0 : ThreadLocalRandom.current().nextInt(apis.size());
          String body = apis.get(t).post("/runs/search", searchBody(exps[t], tok, maxResults));
          int n = count(INFO, body);
          // A page with a next_page_token must be full, and so must the deep page (the harness picks
          // one inside the matching runs); any page holds at most max_results runs.
          boolean more = NEXT.matcher(body).find();
          if (expect >= 0 && (n > maxResults || (more && n != maxResults) || (n == 0 && page == 1)
              || (page > 1 && n != maxResults)))
            throw new Fail(0, "search returned " + n + " runs (next page: " + more + "), max_results " + maxResults);
          return n;
        }, "runs_returned");
    m.put("page", page);
    m.put("tenants", apis.size());
    return m;
  }

  /** W4 set-up: one run with --points points of "loss" (1,000 a batch); --runs runs with --run-points each. */
  static Map<String, Object> loadHistory() throws Exception {
    Api api = apis().get(0);
    String exp = experiment(api, s("experiment-name", "bench-history"));
    long points = Long.parseLong(s("points", "100000"));
    int smallRuns = i("runs", 100);
    int runPoints = i("run-points", 1000);
    String big = createRun(api, exp, "history-big", null);
    String[] smallArr = new String[smallRuns];
    Semaphore par = new Semaphore(8);
    List<java.util.concurrent.Future<?>> made = new ArrayList<>();
    for (int k = 0; k < smallRuns; k++) {
      int kk = k;
      par.acquire();
      made.add(VT.submit(() -> {
        try {
          smallArr[kk] = createRun(api, exp, "history-small-" + kk, null);
        } finally {
          par.release();
        }
      }));
    }
    for (var f : made) f.get(600, TimeUnit.SECONDS);
    List<String> small = List.of(smallArr);
    long bigBatches = (points + 999) / 1000;
    long smallBatches = (long) smallRuns * ((runPoints + 999) / 1000);
    opt.put("count", Long.toString(bigBatches + smallBatches));
    opt.putIfAbsent("duration", s("max-seconds", "3600"));
    AtomicLong next = new AtomicLong();
    Map<String, Object> m =
        closedLoop(i("clients", 4), c -> it -> {
          long g = next.getAndIncrement();
          String run;
          long step0;
          int n;
          if (g < bigBatches) {
            run = big;
            step0 = g * 1000;
            n = (int) Math.min(1000, points - step0);
          } else {
            long h = g - bigBatches;
            int per = (runPoints + 999) / 1000;
            run = small.get((int) (h / per));
            step0 = (h % per) * 1000;
            n = (int) Math.min(1000, runPoints - step0);
          }
          StringBuilder b = new StringBuilder(n * 80 + 100);
          b.append("{\"run_id\":").append(q(run)).append(",\"metrics\":");
          metrics(b, "loss", 1, n, step0, System.currentTimeMillis());
          api.post("/runs/log-batch", b.append('}').toString());
          return n;
        }, "metric_points");
    m.put("big_run_id", big);
    m.put("small_run_ids", small);
    m.put("points", points);
    return m;
  }

  /** W4: the whole history of "loss" of --run-id (following page tokens) per sample. */
  static Map<String, Object> history() throws Exception {
    Api api = apis().get(0);
    String run = req("run-id");
    long expect = Long.parseLong(s("expect", "-1"));
    AtomicLong pages = new AtomicLong();
    Map<String, Object> m =
        closedLoop(i("clients", 1), c -> it -> {
          long got = 0;
          String token = null;
          for (int p = 0; p < 100000; p++) {
            String body = api.get("/metrics/get-history?run_id=" + enc(run) + "&metric_key=loss"
                + (token == null ? "" : "&page_token=" + enc(token)));
            pages.incrementAndGet();
            got += count(KEY, body);
            Matcher mm = NEXT.matcher(body);
            if (!mm.find()) break;
            token = mm.group(1);
          }
          if (expect >= 0 && got != expect) throw new Fail(0, "history returned " + got + " points, expected " + expect);
          return got;
        }, "metric_points");
    long ok = (Long) m.get("ok");
    m.put("requests_per_fetch", ok == 0 ? null : round(pages.get() / (double) ok));
    return m;
  }

  /** W4: get-history-bulk-interval of "loss" over the runs in --run-ids-file (one id a line). */
  static Map<String, Object> bulkInterval() throws Exception {
    Api api = apis().get(0);
    List<String> ids = Files.readAllLines(Path.of(req("run-ids-file"))).stream().filter(x -> !x.isBlank()).toList();
    StringBuilder qs = new StringBuilder("/metrics/get-history-bulk-interval?metric_key=loss&max_results=" + i("max-results", 320));
    for (String id : ids) qs.append("&run_ids=").append(enc(id));
    String path = qs.toString();
    Resp probe = api.send("GET", API + path, null);
    if (probe.status == 404) {
      // Not every MLflow-compatible server has this route (FastTrackML 0.6 has not): say so, once.
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("unsupported", "GET .../metrics/get-history-bulk-interval -> 404 " + abbrev(probe.body));
      return m;
    }
    return closedLoop(i("clients", 1), c -> it -> {
      String body = api.get(path);
      int n = count(KEY, body);
      if (n == 0) throw new Fail(0, "bulk interval returned no points: " + abbrev(body));
      return n;
    }, "metric_points");
  }

  // ------------------------------------------------------------------ Atrium admin

  static String adminJson(Api admin, String method, String path, String body) {
    Resp r = admin.send(method, "/api/atrium/v1" + path, body);
    if (r.status != 200) throw new Fail(r.status, method + " " + path + " -> " + r.status + " " + abbrev(r.body));
    return r.body;
  }

  /**
   * Creates tenants (--prefix, numbered --from..--to-1 as %04d, or the names in --names a,b,c), a user
   * --user who is editor in each, and prints a fresh token of that user (Atrium only).
   */
  static Map<String, Object> tenants() throws Exception {
    Api admin = new Api(req("url"), req("admin-token"));
    List<String> names = new ArrayList<>();
    if (opt.containsKey("names")) names.addAll(List.of(req("names").split(",")));
    else for (int t = i("from", 0); t < i("to", 1); t++) names.add(String.format(Locale.ROOT, "%s%04d", s("prefix", "bench-"), t));
    String user = s("user", "bench");
    long start = System.nanoTime();
    boolean userExists = admin.send("GET", "/api/atrium/v1/principals/" + enc(user) + "/tokens", null).status == 200;
    int from = 0;
    if (!userExists) {
      adminJson(admin, "POST", "/tenants", "{\"name\":" + q(names.get(0)) + "}");
      adminJson(admin, "POST", "/users", "{\"name\":" + q(user) + ",\"tenant\":" + q(names.get(0)) + ",\"role\":\"editor\"}");
      from = 1;
    }
    int clients = Math.min(i("clients", 4), Math.max(1, names.size()));
    AtomicLong next = new AtomicLong(from);
    AtomicReference<Throwable> err = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(clients);
    for (int c = 0; c < clients; c++) {
      VT.submit(() -> {
        try {
          for (long k; (k = next.getAndIncrement()) < names.size() && err.get() == null; ) {
            String n = names.get((int) k);
            adminJson(admin, "POST", "/tenants", "{\"name\":" + q(n) + "}");
            adminJson(admin, "PUT", "/tenants/" + enc(n) + "/members/" + enc(user), "{\"role\":\"editor\"}");
          }
        } catch (Throwable t) {
          err.compareAndSet(null, t);
        } finally {
          done.countDown();
        }
      });
    }
    done.await();
    if (err.get() != null) throw die("tenant set-up failed: " + err.get().getMessage());
    double secs = (System.nanoTime() - start) / 1e9;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("tenants_created", names.size());
    m.put("setup_s", round(secs));
    m.put("setup_ms_per_tenant", round(secs * 1000 / Math.max(1, names.size())));
    if (Boolean.parseBoolean(s("new-token", "true"))) {
      String body = adminJson(admin, "POST", "/principals/" + enc(user) + "/tokens", "{\"name\":\"bench-" + System.nanoTime() + "\"}");
      m.put("token", first(Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\""), body.replaceFirst("\"token\"\\s*:\\s*\\{", "{"), "token"));
    }
    return m;
  }

  // ------------------------------------------------------------------ noisy neighbour

  /**
   * Open loop at --rate/s for `seconds`; each request starts on its own virtual thread at its
   * scheduled time (latency counted from the schedule, so a stalled server cannot hide queueing),
   * at most `maxInFlight` at once (beyond that the schedule waits: flooding with that many connections).
   */
  static Samples openLoop(double rate, double seconds, int maxInFlight, Step step, long startNanos) throws Exception {
    Samples s = new Samples();
    if (opt.containsKey("q-trace")) s.trace = new ArrayList<>();
    Object lock = new Object();
    Semaphore inFlight = new Semaphore(maxInFlight);
    long period = (long) (1e9 / rate);
    long end = startNanos + (long) (seconds * 1e9);
    List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
    for (long k = 0; ; k++) {
      long at = startNanos + k * period;
      if (at >= end) break;
      long wait = at - System.nanoTime();
      if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      // Nothing is sent after the phase: when all connections are busy the schedule waits, and
      // requests whose turn passed while waiting are sent late (latency still counts from `at`).
      long left = end - System.nanoTime();
      if (left <= 0 || !inFlight.tryAcquire(left, TimeUnit.NANOSECONDS)) break;
      long kk = k;
      fs.add(VT.submit(() -> {
        try {
          long u = step.run(kk);
          long lat = System.nanoTime() - at;
          synchronized (lock) {
            s.add(lat);
            s.ok++;
            s.units += u;
            if (s.trace != null) s.trace.add(new long[] {EPOCH_MS_AT_NANO0 + (at - NANO0) / 1_000_000, lat / 1000, kk});
          }
        } catch (Fail f) {
          synchronized (lock) {
            s.fail(f);
          }
        } catch (Throwable t) {
          synchronized (lock) {
            s.errors++;
            if (s.firstError == null) s.firstError = t.toString();
          }
        } finally {
          inFlight.release();
        }
      }));
    }
    for (var f : fs) f.get(600, TimeUnit.SECONDS);
    return s;
  }

  /** N's log-batch of --n-points points to `run`, request k (through the lean client, see RawHttp). */
  static Step floodStep(RawHttp na, String auth, String run, int nPoints) {
    return k -> {
      StringBuilder b = new StringBuilder("{\"run_id\":").append(q(run)).append(",\"metrics\":");
      metrics(b, "n", 10, nPoints, k * 100, System.currentTimeMillis());
      int status = na.post(API + "/runs/log-batch", auth, b.append('}').toString().getBytes(StandardCharsets.UTF_8));
      if (status != 200) throw new Fail(status, "POST /runs/log-batch -> " + status);
      return nPoints;
    };
  }

  /**
   * Tenant N's flood, as its own process (started by {@link #noisy}): prints "READY", waits for a
   * line on stdin, floods log-batch at --n-rate/s over --n-connections connections for --duration
   * seconds, and prints the report. The step numbers start at --step-from so that a second flood
   * into the same run does not repeat the first one's points.
   */
  static Map<String, Object> flood() throws Exception {
    RawHttp na = new RawHttp(req("n-url"));
    String token = s("n-token", "");
    Step nStep = floodStep(na, token.isEmpty() ? null : "Bearer " + token, req("n-run"), i("n-points", 100));
    long from = Long.parseLong(s("step-from", "0"));
    double duration = d("duration", 30);
    int groupNice = i("autogroup-nice", 0);
    Path group = Path.of("/proc/self/autogroup");
    if (groupNice > 0 && Files.exists(group)) {
      // This process's own session (setsid): its weight against the server's and the harness's sessions.
      try {
        Files.writeString(group, Integer.toString(groupNice));
      } catch (IOException e) {
        System.err.println("flood: could not lower its autogroup's weight: " + e);
      }
    }
    System.out.println("READY");
    System.out.flush();
    new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    long cpu0 = cpuNanos();
    long t0 = System.nanoTime();
    Samples n = openLoop(d("n-rate", 600), duration, i("n-connections", 64), k -> nStep.run(from + k), t0);
    double wall = (System.nanoTime() - t0) / 1e9;
    Map<String, Object> nr = report(n, wall, (cpuNanos() - cpu0) / 1e9, "metric_points");
    // Rates over the phase: every request was sent inside it; answers may come later (drain).
    nr.put("sent_per_s", round((n.ok + n.errors + n.throttled) / duration));
    nr.put("accepted_per_s", round(n.ok / duration));
    nr.put("drain_s", round(wall - duration));
    return nr;
  }

  /** A running flood process: started and ready, released by {@link #go}, read by {@link #result}. */
  record Flood(Process p, java.io.BufferedReader out) {
    static Flood start(List<String> args, int nice) throws IOException {
      List<String> cmd = new ArrayList<>();
      // Its own session, so its own scheduler autogroup on Linux: with autogroups on (the default),
      // CPU is shared between sessions first and `nice` only counts within one, so a flood in the
      // harness's session would get as much CPU as the server's whole session, nice or not.
      if (nice > 0) cmd.addAll(List.of("setsid", "nice", "-n", Integer.toString(nice)));
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(List.of("-Xmx1g", "-cp", System.getProperty("java.class.path"), "LoadGen", "flood"));
      cmd.addAll(args);
      if (nice > 0) cmd.addAll(List.of("--autogroup-nice", Integer.toString(nice)));
      Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String first = out.readLine();
      if (!"READY".equals(first)) throw die("flood process did not start: " + first);
      return new Flood(p, out);
    }

    void go() throws IOException {
      p.getOutputStream().write('\n');
      p.getOutputStream().flush();
    }

    /** The flood's report, as the JSON object it printed. */
    Raw result(double timeoutS) throws Exception {
      StringBuilder b = new StringBuilder();
      for (String line; (line = out.readLine()) != null; ) b.append(line);
      if (!p.waitFor((long) timeoutS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw die("flood process did not finish");
      }
      if (p.exitValue() != 0) throw die("flood process failed: exit " + p.exitValue());
      String json = b.toString().trim();
      if (!json.startsWith("{")) throw die("flood process printed no report: " + json);
      return new Raw(json);
    }
  }

  /**
   * Tenant Q (--q-url/--q-token): open loop at --q-rate/s alternating runs/get and a small
   * log-batch (--q-points), alone for --phase seconds, then again while tenant N (--n-url/--n-token)
   * floods log-batch (--n-points) at --n-rate/s over --n-connections connections.
   *
   * <p>N's flood runs in its own JVM (at --flood-nice, default 10): N's clients are other teams'
   * training jobs on other machines, and on one 2-core box a flood generator inside Q's JVM would
   * add its own GC pauses and thread scheduling to Q's measured latency, and at normal priority it
   * takes the server's CPU, which N's real clients would not. Its offered rate is reported, so a
   * flood that could not keep up shows.
   */
  static Map<String, Object> noisy() throws Exception {
    Api qa = new Api(req("q-url"), s("q-token", ""));
    Api na = new Api(req("n-url"), s("n-token", ""));
    double phase = d("phase", 30);
    double qRate = d("q-rate", 20);
    double nRate = d("n-rate", 600);
    int nConn = i("n-connections", 64);
    int qPoints = i("q-points", 10);
    int nPoints = i("n-points", 100);
    int nice = i("flood-nice", 10);
    String qRun = createRun(qa, experiment(qa, "bench-quiet"), "quiet", null);
    String nRun = createRun(na, experiment(na, "bench-noisy"), "noisy", null);
    Step qStep = k -> {
      if (k % 2 == 0) {
        qa.get("/runs/get?run_id=" + enc(qRun));
        return 0;
      }
      StringBuilder b = new StringBuilder("{\"run_id\":").append(q(qRun)).append(",\"metrics\":");
      metrics(b, "q", 10, qPoints, k, System.currentTimeMillis());
      qa.post("/runs/log-batch", b.append('}').toString());
      return qPoints;
    };
    List<String> floodArgs = new ArrayList<>(List.of("--n-url", req("n-url"), "--n-token", s("n-token", ""),
        "--n-run", nRun, "--n-rate", Double.toString(nRate), "--n-connections", Integer.toString(nConn),
        "--n-points", Integer.toString(nPoints)));
    // Warm-up, untimed: Q's loop and N's flood together for --warmup seconds, then a pause for the
    // flood's last answers to drain. On a 2-core machine a JVM server compiles for about a minute
    // under load (C2 took 0.6 of a core 45 s into a flood), and the measured phases must compare
    // Q alone with Q beside N, not a cold server with a warm one.
    double warm = d("warmup", 60);
    long qFrom = 0;
    if (warm > 0) {
      List<String> wa = new ArrayList<>(floodArgs);
      wa.addAll(List.of("--duration", Double.toString(warm), "--step-from", "0"));
      Flood wf = Flood.start(wa, nice);
      wf.go();
      openLoop(qRate, warm, 64, qStep, System.nanoTime());
      wf.result(warm + 600);
      qFrom = (long) (qRate * warm) + 1;
      Thread.sleep(3000);
    }
    // --rounds pairs of phases, Q alone then Q beside N's flood: on a shared, noisy machine one
    // pair's p99 (the 6th-worst of 600 requests) moves with whatever else the machine did in those
    // 30 s, so the report gives each round's figures and the harness judges their median.
    int rounds = i("rounds", 3);
    Samples alone = new Samples();
    Samples with = new Samples();
    double aloneWall = 0, aloneCpu = 0, qWithWall = 0, qWithCpu = 0;
    List<Object> perRound = new ArrayList<>();
    StringBuilder trace = new StringBuilder();
    long next = qFrom;
    long nFrom = (long) (nRate * warm) + 1;
    for (int r = 0; r < rounds; r++) {
      long qa0 = next;
      Step qAlone = k -> qStep.run(qa0 + k);
      long cpu0 = cpuNanos();
      long t0 = System.nanoTime();
      Samples a = openLoop(qRate, phase, 64, qAlone, t0);
      double aw = (System.nanoTime() - t0) / 1e9;
      double ac = (cpuNanos() - cpu0) / 1e9;
      long qw0 = qa0 + (long) (qRate * phase) + 1;
      next = qw0 + (long) (qRate * phase) + 1;
      Step qWith = k -> qStep.run(qw0 + k);
      List<String> fa = new ArrayList<>(floodArgs);
      fa.addAll(List.of("--duration", Double.toString(phase), "--step-from", Long.toString(nFrom)));
      nFrom += (long) (nRate * phase) + 1;
      Flood f = Flood.start(fa, nice);
      cpu0 = cpuNanos();
      f.go();
      long t1 = System.nanoTime();
      Samples w = openLoop(qRate, phase, 64, qWith, t1);
      double ww = (System.nanoTime() - t1) / 1e9;
      double wc = (cpuNanos() - cpu0) / 1e9;
      Raw nr = f.result(phase + 600);
      Map<String, Object> round = new LinkedHashMap<>();
      round.put("q_alone", report(a, aw, ac, "metric_points"));
      round.put("q_with_n", report(w, ww, wc, "metric_points"));
      round.put("n_flood", nr);
      perRound.add(round);
      if (a.trace != null) {
        // Q's requests one per line (round, phase, scheduled wall-clock ms, latency µs, request
        // number), to line up Q's slow requests with a server's GC log (-Xlog:gc with time).
        for (var e : List.of(Map.entry("alone", a), Map.entry("with_n", w))) {
          for (long[] t : e.getValue().trace) trace.append(r).append(' ').append(e.getKey()).append(' ').append(t[0])
              .append(' ').append(t[1]).append(' ').append(t[2]).append('\n');
        }
      }
      alone.merge(a);
      with.merge(w);
      aloneWall += aw;
      aloneCpu += ac;
      qWithWall += ww;
      qWithCpu += wc;
      Thread.sleep(3000); // the flood's last answers drain before Q is measured alone again
    }
    if (opt.containsKey("q-trace")) Files.writeString(Path.of(opt.get("q-trace")), trace);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("phase_s", phase);
    m.put("warmup_s", warm);
    m.put("flood_nice", nice);
    m.put("q_rate", qRate);
    m.put("n_offered_rate", nRate);
    m.put("n_connections", nConn);
    m.put("rounds", perRound);
    // Every round's Q requests together (the pooled percentiles); N's figures are per round.
    m.put("q_alone", report(alone, aloneWall, aloneCpu, "metric_points"));
    m.put("q_with_n", report(with, qWithWall, qWithCpu, "metric_points"));
    return m;
  }

  // ------------------------------------------------------------------ JSON out

  /** JSON written as it is (a child process's report). */
  record Raw(String json) {}

  static String json(Object o) {
    StringBuilder b = new StringBuilder();
    write(b, o);
    return b.toString();
  }

  @SuppressWarnings("unchecked")
  static void write(StringBuilder b, Object o) {
    if (o == null) b.append("null");
    else if (o instanceof Raw r) b.append(r.json());
    else if (o instanceof String str) b.append(q(str));
    else if (o instanceof Double dd) b.append(dd.isNaN() || dd.isInfinite() ? "null" : String.format(Locale.ROOT, "%s", dd));
    else if (o instanceof Number || o instanceof Boolean) b.append(o);
    else if (o instanceof Map<?, ?> mp) {
      b.append('{');
      boolean f = true;
      for (var e : ((Map<String, Object>) mp).entrySet()) {
        if (!f) b.append(',');
        f = false;
        b.append(q(e.getKey())).append(':');
        write(b, e.getValue());
      }
      b.append('}');
    } else if (o instanceof List<?> l) {
      b.append('[');
      for (int k = 0; k < l.size(); k++) {
        if (k > 0) b.append(',');
        write(b, l.get(k));
      }
      b.append(']');
    } else b.append(q(o.toString()));
  }
}
