package dev.hearth.coordinator.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.List;
import java.util.function.Supplier;

/// What each path answers, independent of Netty (the handler only moves bytes).
final class DashboardRoutes {

    /// Leaderboard rows returned by `/api/leaderboard`.
    static final int LEADERBOARD_LIMIT = 100;
    /// Characters of model sample shown: a few lines, not a novel.
    static final int MAX_SAMPLE_CHARS = 2_000;
    /// Largest webjar file served (echarts.min.js is ~1 MB; the 7 MB source map is not needed).
    static final int MAX_STATIC_BYTES = 4 << 20;
    private static final String WEBJARS = "/webjars/";
    private static final Map<String, String> TYPES = Map.of(
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "json", "application/json",
            "map", "application/json");

    /// A response before it becomes HTTP.
    record Response(int status, String contentType, byte[] body, boolean cacheable) {
        static Response text(int status, String text) {
            return new Response(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8), false);
        }
    }

    private final DashboardSource source;
    private final Supplier<String> sample;
    private final Supplier<List<String>> devices;
    private final ObjectMapper json;
    private final byte[] page;
    private final byte[] script;

    DashboardRoutes(DashboardSource source, Supplier<String> sample, Supplier<List<String>> devices, ObjectMapper json,
                    String page, byte[] script) {
        this.source = source;
        this.sample = sample;
        this.devices = devices;
        this.json = json;
        this.page = page.getBytes(StandardCharsets.UTF_8);
        this.script = script;
    }

    Response get(String path) {
        return switch (path) {
            case "/", "/index.html" -> new Response(200, "text/html; charset=utf-8", page, false);
            case "/dashboard.js" -> new Response(200, TYPES.get("js"), script, false);
            case "/api/status" -> json(status());
            case "/api/leaderboard" -> json(source.leaderboard(LEADERBOARD_LIMIT));
            default -> path.startsWith(WEBJARS) ? webjar(path) : Response.text(404, "not found: " + path + "\n");
        };
    }

    private DashboardStatus status() {
        DashboardStatus s = source.status();
        String text;
        try {
            text = sample.get();
        } catch (RuntimeException e) {
            text = "(sampling failed: " + e.getMessage() + ")";
        }
        if (text == null) {
            text = "";
        }
        if (text.length() > MAX_SAMPLE_CHARS) {
            text = text.substring(0, MAX_SAMPLE_CHARS);
        }
        return new DashboardStatus(s.runId(), s.name(), s.phase(), s.round(), s.version(), s.totalRounds(), s.nodesOnline(),
                s.tokens(), s.bytesIn(), s.bytesOut(), s.history(), text, devices.get(), s.updatedAtMillis(), s.fault());
    }

    private Response json(Object value) {
        try {
            return new Response(200, "application/json", json.writeValueAsBytes(value), false);
        } catch (JsonProcessingException e) {
            return Response.text(500, "cannot encode JSON: " + e.getOriginalMessage() + "\n");
        }
    }

    /// Serves `META-INF/resources/webjars/...` from the classpath; anything that could escape it is refused.
    private Response webjar(String path) {
        String rel = path.substring(WEBJARS.length());
        if (rel.isEmpty() || rel.contains("..") || rel.contains("//") || rel.contains("\\") || rel.startsWith("/")) {
            return Response.text(404, "not found\n");
        }
        int dot = rel.lastIndexOf('.');
        String type = dot < 0 ? null : TYPES.get(rel.substring(dot + 1));
        if (type == null) {
            return Response.text(404, "not found\n");
        }
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("META-INF/resources/webjars/" + rel)) {
            if (in == null) {
                return Response.text(404, "not found: " + path + "\n");
            }
            byte[] bytes = in.readNBytes(MAX_STATIC_BYTES + 1);
            if (bytes.length > MAX_STATIC_BYTES) {
                return Response.text(404, "not served (too large)\n");
            }
            return new Response(200, type, bytes, true);
        } catch (IOException e) {
            return Response.text(500, "cannot read " + path + "\n");
        }
    }
}
