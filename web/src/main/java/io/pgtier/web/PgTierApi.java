package io.pgtier.web;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/**
 * The REST root. Every resource and exception mapper of this package is found by scanning, so
 * there is nothing to list here.
 */
@ApplicationPath("/api")
public class PgTierApi extends Application {
}
