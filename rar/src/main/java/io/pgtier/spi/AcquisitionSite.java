package io.pgtier.spi;

/**
 * Where a bean got a connection: the first stack frame that is neither the adapter's nor the
 * container's, e.g. {@code io.acme.OrderBean.place(OrderBean.java:42)}. Taken only for handles
 * created inside a container transaction (those are the ones closed for the bean if it forgets),
 * so the cost of walking the stack never reaches plain autocommit use.
 */
final class AcquisitionSite {

    private static final StackWalker WALKER = StackWalker.getInstance();

    private AcquisitionSite() {
    }

    static String capture() {
        return WALKER.walk(frames -> frames
                .filter(f -> !internal(f.getClassName()))
                .findFirst()
                .map(f -> f.getClassName() + "." + f.getMethodName() + "(" + f.getFileName() + ":" + f.getLineNumber() + ")")
                .orElse("(unknown)"));
    }

    private static boolean internal(String type) {
        return type.startsWith("io.pgtier.spi.") || type.startsWith("java.") || type.startsWith("jdk.")
                || type.startsWith("sun.") || type.startsWith("jakarta.") || type.startsWith("com.sun.")
                || type.startsWith("org.glassfish.") || type.startsWith("fish.payara.") || type.startsWith("org.jboss.weld.")
                || type.contains("$Proxy") || type.contains("__EJB31_Generated__");
    }
}
