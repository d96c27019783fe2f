package io.pgtier.harness;

import java.util.concurrent.CountDownLatch;

/**
 * Starts three local PostgreSQL tiers for trying pgtier by hand: a primary, a synchronous standby
 * (the backup tier) and an asynchronous standby (the failover tier). Prints how to connect and runs
 * until Ctrl-C, which stops the servers and removes their folders.
 */
public final class LocalTiers {

    private LocalTiers() {
    }

    public static void main(String[] args) throws InterruptedException {
        PgHarness harness = PgHarness.create();
        PgServer primary = harness.startPrimary("primary");
        PgServer backup = harness.startStandby("backup", primary, Replication.SYNC);
        PgServer failover = harness.startStandby("failover", primary, Replication.ASYNC);

        System.out.println();
        System.out.println("pgtier local tiers (PostgreSQL " + harness.postgresVersion() + ") are running:");
        System.out.printf("  primary   %s   (writable)%n", primary.jdbcUrl());
        System.out.printf("  backup    %s   (synchronous standby of primary)%n", backup.jdbcUrl());
        System.out.printf("  failover  %s   (asynchronous standby of primary)%n", failover.jdbcUrl());
        System.out.println("  user " + PgServer.USER + ", password " + PgHarness.PASSWORD + " (a throw-away local test password)");
        System.out.println("  folders under " + harness.folder());
        System.out.println("Press Ctrl-C to stop them; nothing is left running.");
        // The harness's shutdown hook stops the servers when Ctrl-C ends the JVM.
        new CountDownLatch(1).await();
    }
}
