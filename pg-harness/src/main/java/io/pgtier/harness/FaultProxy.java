package io.pgtier.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A plain TCP forwarder in front of a server, whose route can be broken on purpose: the network
 * faults a real server cannot produce on demand.
 *
 * <ul>
 *   <li>{@link Mode#PASS}: bytes flow both ways unchanged;</li>
 *   <li>{@link Mode#LATENCY}: every chunk waits {@link #latency()} before it is forwarded;</li>
 *   <li>{@link Mode#BLACKHOLE}: connections are accepted and never answered, both ways; bytes already
 *       sent wait, as in a partition, and flow again after {@link #pass()};</li>
 *   <li>{@link Mode#RESET}: every open connection is reset (RST) and new ones are reset as accepted.</li>
 * </ul>
 *
 * One platform thread per direction per connection: test traffic is small and this keeps it plain.
 */
public final class FaultProxy implements AutoCloseable {

    public enum Mode { PASS, LATENCY, BLACKHOLE, RESET }

    private final String name;
    private final ServerSocket listener;
    private final ExecutorService threads;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
    private final Object modeChanged = new Object();
    private volatile int targetPort;
    private volatile Mode mode = Mode.PASS;
    private volatile Duration latency = Duration.ZERO;
    private volatile boolean closed;

    FaultProxy(String name, int targetPort) throws IOException {
        this.name = name;
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fault-proxy-" + name);
            t.setDaemon(true);
            return t;
        });
        threads.execute(this::acceptLoop);
    }

    public String name() {
        return name;
    }

    public int port() {
        return listener.getLocalPort();
    }

    public String host() {
        return "127.0.0.1";
    }

    /** {@code jdbc:postgresql://127.0.0.1:PORT/postgres} through this proxy. */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + host() + ":" + port() + "/" + PgServer.DATABASE;
    }

    public Mode mode() {
        return mode;
    }

    public Duration latency() {
        return latency;
    }

    /** Points new connections at another port (existing ones keep their server). */
    public void retarget(int port) {
        this.targetPort = port;
    }

    public void pass() {
        setMode(Mode.PASS);
    }

    public void latency(Duration delay) {
        this.latency = delay;
        setMode(Mode.LATENCY);
    }

    public void blackhole() {
        setMode(Mode.BLACKHOLE);
    }

    /** Resets every open connection, and every new one until {@link #pass()}. */
    public void reset() {
        setMode(Mode.RESET);
        links.forEach(Link::reset);
    }

    /** Connections accepted since the proxy started, whatever became of them. */
    public int acceptedConnections() {
        return accepted.get();
    }

    /** Connections currently open through the proxy. */
    public int openConnections() {
        return links.size();
    }

    /**
     * The local ports of the proxy's open connections to the server: what the server's
     * {@code pg_stat_activity.client_port} shows for the sessions that came through this route.
     */
    public java.util.Set<Integer> serverSidePorts() {
        java.util.Set<Integer> ports = new java.util.HashSet<>();
        links.forEach(link -> ports.add(link.server.getLocalPort()));
        return ports;
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        links.forEach(Link::close);
        synchronized (modeChanged) {
            modeChanged.notifyAll();
        }
        threads.shutdownNow();
    }

    private void setMode(Mode next) {
        synchronized (modeChanged) {
            mode = next;
            modeChanged.notifyAll();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                accepted.incrementAndGet();
                if (mode == Mode.RESET) {
                    resetQuietly(client);
                    continue;
                }
                threads.execute(() -> connect(client));
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("[pg-harness] proxy " + name + ": accept failed: " + e);
                }
            }
        }
    }

    private void connect(Socket client) {
        try {
            // A black-holed route never reaches the server: the client's connect "succeeds" and then nothing.
            if (!awaitForwarding()) {
                resetQuietly(client);
                return;
            }
            Socket server = new Socket();
            server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5_000);
            Link link = new Link(client, server);
            links.add(link);
            threads.execute(() -> pump(link, client, server));
            threads.execute(() -> pump(link, server, client));
        } catch (IOException e) {
            // The server refused: so does the proxy, the way a dead server would look.
            resetQuietly(client);
        }
    }

    private void pump(Link link, Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream()) {
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (!awaitForwarding()) {
                    link.reset();
                    return;
                }
                out.write(buffer, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            // one side went away: close both
        } finally {
            link.close();
        }
    }

    /** Blocks while black-holed, delays in LATENCY mode; false when the link must be reset. */
    private boolean awaitForwarding() {
        synchronized (modeChanged) {
            while (mode == Mode.BLACKHOLE && !closed) {
                try {
                    modeChanged.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        if (closed || mode == Mode.RESET) {
            return false;
        }
        Duration delay = latency;
        if (mode == Mode.LATENCY && !delay.isZero()) {
            try {
                Thread.sleep(delay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private static void resetQuietly(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    private final class Link {
        private final Socket client;
        private final Socket server;

        Link(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void reset() {
            resetQuietly(client);
            resetQuietly(server);
            links.remove(this);
        }

        void close() {
            try {
                client.close();
                server.close();
            } catch (IOException ignored) {
                // already closed
            }
            links.remove(this);
        }
    }

    @Override
    public String toString() {
        return "proxy " + name + " :" + port() + " -> :" + targetPort + " (" + mode + ")";
    }
}
