package io.pgtier.spi;

import java.util.Arrays;

/**
 * Where a bean got a connection: the first stack frame that is neither the adapter's nor the
 * container's, e.g. {@code io.acme.OrderBean.place(OrderBean.java:42)}. Taken only for handles
 * created inside a container transaction (those are the ones closed for the bean if it forgets), and
 * only when the pool's {@code recordAcquisitionSite} is on.
 *
 * <p>Capturing keeps a {@link Throwable}: the JVM records its raw backtrace at construction, and
 * decodes it into frames only when a leak is reported, which is cheaper than walking the frames
 * of Payara's deep allocation stack at every acquisition. It still showed in the benchmark
 * (docs/BENCHMARKS.md, "What the benchmark changed"), so recording is off by default.
 */
final class AcquisitionSite {

    private final Throwable trace = new Throwable();

    private AcquisitionSite() {
    }

    static AcquisitionSite capture() {
        return new AcquisitionSite();
    }

    /** The bean's frame; decoded now, so only leaks pay for it. */
    @Override
    public String toString() {
        return Arrays.stream(trace.getStackTrace())
                .filter(f -> !internal(f.getClassName()))
                .findFirst()
                .map(f -> f.getClassName() + "." + f.getMethodName() + "(" + f.getFileName() + ":" + f.getLineNumber() + ")")
                .orElse("(unknown)");
    }

    private static boolean internal(String type) {
        return type.startsWith("io.pgtier.spi.") || type.startsWith("java.") || type.startsWith("jdk.")
                || type.startsWith("sun.") || type.startsWith("jakarta.") || type.startsWith("com.sun.")
                || type.startsWith("org.glassfish.") || type.startsWith("fish.payara.") || type.startsWith("org.jboss.weld.")
                || type.contains("$Proxy") || type.contains("__EJB31_Generated__");
    }
}
