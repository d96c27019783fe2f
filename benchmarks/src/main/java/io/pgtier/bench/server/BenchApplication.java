package io.pgtier.bench.server;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The benchmark's endpoints, under {@code /pgtier-bench/bench}. */
@ApplicationPath("bench")
public class BenchApplication extends Application {
}
