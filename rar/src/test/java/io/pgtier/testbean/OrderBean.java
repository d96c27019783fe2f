package io.pgtier.testbean;

import java.util.function.Supplier;

/** Stands for a bean outside the adapter's packages that takes a connection. */
public final class OrderBean {

    private OrderBean() {
    }

    public static <T> T place(Supplier<T> getConnection) {
        return getConnection.get(); // line 12: the site a leak report must name
    }
}
