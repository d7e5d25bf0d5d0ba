package dev.hearth.coordinator.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.service.CoordinatorService;
import dev.hearth.protocol.identity.NodeIdentity;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Clock;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 8, security: with the default configuration nothing listens beyond loopback, the dashboard refuses
/// writes, and private keys are owner-only files. (TLS 1.3 only and the pinned fingerprint are proved in the
/// protocol module: TlsTest.refusesTls12, LoopbackTest.nodeRefusesCoordinatorWithAnotherFingerprintAndSaysBoth.)
class ListenersAndKeysTest {

    static final Set<PosixFilePermission> GROUP_OR_OTHER = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    @Test
    void theDefaultCoordinatorListensOnLoopbackOnlyAndItsDashboardIsReadOnly(@TempDir Path dir) throws Exception {
        RunConfig config = RunConfig.parse("[server]\nport = 0\nhttp_port = 0\n", "defaults", Map.of(
                "server.data_dir", new RunConfig.Override("data dir", dir.resolve("coordinator"))));
        try (CoordinatorService c = CoordinatorService.start(config, Clock.systemUTC())) {
            assertTrue(c.nodeListenAddress().getAddress().isLoopbackAddress(), "node port: " + c.nodeListenAddress());
            assertTrue(c.dashboardListenAddress().getAddress().isLoopbackAddress(),
                    "dashboard: " + c.dashboardListenAddress());
            HttpClient http = HttpClient.newHttpClient();
            for (String path : List.of("/", "/api/status", "/api/leaderboard")) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(c.dashboardUrl() + path.substring(1)))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"round\": 99}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(405, r.statusCode(), "POST " + path);
            }
            HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(c.dashboardUrl() + "api/status"))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, get.statusCode());
            try (Stream<Path> files = Files.walk(config.tlsDir().isAbsolute() ? config.tlsDir()
                    : config.dataDir().resolve(config.tlsDir()))) {
                List<Path> keys = files.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().contains("key"))
                        .toList();
                assertFalse(keys.isEmpty(), "the coordinator has a TLS key file");
                for (Path k : keys) assertOwnerOnly(k);
            }
        }
    }

    @Test
    void theNodeIdentityKeyIsOwnerOnly(@TempDir Path dir) throws Exception {
        NodeIdentity.loadOrCreate(dir);
        assertOwnerOnly(dir.resolve(NodeIdentity.FILE_NAME));
    }

    static void assertOwnerOnly(Path file) throws Exception {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        assertTrue(perms.stream().noneMatch(GROUP_OR_OTHER::contains), file + " is owner-only: " + perms);
    }
}
