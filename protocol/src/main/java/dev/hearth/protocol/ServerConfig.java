package dev.hearth.protocol;

import java.net.InetAddress;
import java.time.Clock;

/// How a [HearthServer] listens.
///
/// @param bindAddress interface to listen on; loopback unless the operator chose to expose the run
/// @param port TCP port, 0 for an ephemeral port (see [HearthServer#port()])
/// @param certificate the coordinator's TLS identity
/// @param workerThreads event-loop threads serving connections
/// @param clock wall clock for heartbeat timestamps
public record ServerConfig(InetAddress bindAddress, int port, CoordinatorCertificate certificate, int workerThreads,
                           Clock clock) {
    /// 7461: Hearth's default coordinator port (unassigned by IANA).
    public static final int DEFAULT_PORT = 7461;
    /// 2 threads: TLS and protobuf for a few hundred nodes fit on two cores; more would compete with aggregation.
    public static final int DEFAULT_WORKER_THREADS = 2;

    public ServerConfig {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port " + port + " is outside 0..65535");
        }
        if (workerThreads < 1) {
            throw new IllegalArgumentException("workerThreads must be at least 1, got " + workerThreads);
        }
        if (bindAddress == null || certificate == null || clock == null) {
            throw new IllegalArgumentException("bindAddress, certificate and clock are required");
        }
    }

    /// Listens on loopback only: the safe default for a local or embedded run.
    public static ServerConfig loopback(int port, CoordinatorCertificate certificate) {
        return new ServerConfig(InetAddress.getLoopbackAddress(), port, certificate, DEFAULT_WORKER_THREADS,
                Clock.systemUTC());
    }

    public ServerConfig withBindAddress(InetAddress address) {
        return new ServerConfig(address, port, certificate, workerThreads, clock);
    }
}
