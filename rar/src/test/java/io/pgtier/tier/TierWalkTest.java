package io.pgtier.tier;

import static io.pgtier.api.TierId.BACKUP;
import static io.pgtier.api.TierId.FAILOVER;
import static io.pgtier.api.TierId.PRIMARY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgtier.api.BreakerState;
import io.pgtier.api.Purpose;
import io.pgtier.api.Role;
import io.pgtier.api.TierId;
import io.pgtier.tier.Fixtures.ManualClock;
import io.pgtier.tier.TierAttempt.Outcome;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The connect loop's decisions. The servers are a fake here because this is pure selection
 * logic; what real PostgreSQL servers do on failure is tested against real servers elsewhere.
 */
class TierWalkTest {

    /** A stand-in for a physical connection: which tier it reached and what that server is. */
    record FakeConnection(TierId tier, Role role) {
    }

    /** Per tier: a role to answer with, or an exception to throw; records what it was asked. */
    static final class FakeConnector implements Connector<FakeConnection> {
        final Map<TierId, Role> roles = new EnumMap<>(TierId.class);
        final Map<TierId, SQLException> failures = new EnumMap<>(TierId.class);
        final List<TierId> connects = new ArrayList<>();
        final List<FakeConnection> discarded = new ArrayList<>();
        Runnable duringConnect = () -> { };

        FakeConnector role(TierId id, Role role) {
            roles.put(id, role);
            return this;
        }

        FakeConnector fail(TierId id, String sqlState, String message) {
            failures.put(id, new SQLException(message, sqlState));
            return this;
        }

        @Override
        public FakeConnection connect(Tier tier) throws SQLException {
            connects.add(tier.id());
            duringConnect.run();
            SQLException failure = failures.get(tier.id());
            if (failure != null) {
                throw failure;
            }
            return new FakeConnection(tier.id(), roles.getOrDefault(tier.id(), Role.WRITABLE));
        }

        @Override
        public Role roleOf(FakeConnection connection) {
            return connection.role();
        }

        @Override
        public void discard(FakeConnection connection) {
            discarded.add(connection);
        }
    }

    private final ManualClock clock = new ManualClock();
    private final Tier primary = Fixtures.tier(PRIMARY, 10, clock);
    private final Tier backup = Fixtures.tier(BACKUP, 5, clock);
    private final Tier failover = Fixtures.tier(FAILOVER, 5, clock);
    private final TierWalk walk =
            new TierWalk(new TierSelector(List.of(primary, backup, failover)), clock::nanoTime);
    private final FakeConnector connector = new FakeConnector();

    private static NoTierAvailableException noTier(ThrowingCallable walkThatFails) {
        NoTierAvailableException e = catchThrowableOfType(NoTierAvailableException.class, walkThatFails);
        assertThat((Throwable) e).as("the walk must fail with NoTierAvailableException").isNotNull();
        return e;
    }

    @Test
    @DisplayName("when the primary refuses, the backup serves and only its slot stays taken")
    void primaryFailsBackupServes() throws SQLException {
        connector.fail(PRIMARY, "08001", "Connection refused");

        Acquired<FakeConnection> got = walk.acquire(Purpose.READ_WRITE, connector, "orders");

        assertThat(got.tier()).isSameAs(backup);
        assertThat(got.connection().tier()).isEqualTo(BACKUP);
        assertThat(got.generation()).isEqualTo(backup.generation());
        assertThat(connector.connects).containsExactly(PRIMARY, BACKUP);
        assertThat(primary.openConnections()).as("primary slot released").isZero();
        assertThat(backup.openConnections()).isEqualTo(1);
        assertThat(primary.status().failures()).isEqualTo(1);
        assertThat(backup.status().acquired()).isEqualTo(1);
        assertThat(backup.role()).isEqualTo(Role.WRITABLE);
    }

    @Test
    @DisplayName("when every tier fails, the error names the pool, the time, every tier and its SQLSTATE")
    void allFailMessageListsEveryTier() {
        connector.fail(PRIMARY, "08001", "Connection refused");
        connector.fail(BACKUP, "28P01", "password authentication failed for user \"app\"");
        connector.fail(FAILOVER, "53300", "sorry, too many clients already");
        connector.duringConnect = () -> clock.advance(Duration.ofMillis(1_671));

        NoTierAvailableException e = noTier(() -> walk.acquire(Purpose.READ_WRITE, connector, "orders"));

        assertThat(e.getMessage()).isEqualTo("pgtier[orders] no tier could serve READ_WRITE within 5013 ms"
                + " (primary: 08001 Connection refused;"
                + " backup: 28P01 password authentication failed for user \"app\";"
                + " failover: 53300 sorry, too many clients already)");
        assertThat(e.getMessage()).doesNotContain(Fixtures.PASSWORD).doesNotContain("jdbc:");
        assertThat(e.getSQLState()).as("first real failure's SQLSTATE").isEqualTo("08001");
        assertThat(e.getCause()).isSameAs(connector.failures.get(PRIMARY));
        assertThat(e.getSuppressed())
                .containsExactly(connector.failures.get(BACKUP), connector.failures.get(FAILOVER));
        assertThat(e.attempts()).extracting(TierAttempt::outcome).containsOnly(Outcome.FAILED);
        assertThat(List.of(primary, backup, failover)).allMatch(t -> t.openConnections() == 0);
    }

    @Test
    @DisplayName("a tier refused by its breaker or its cap is not connected to, and is reported")
    void breakerAndCapSkipWithReasons() {
        Tier tinyPrimary = Fixtures.tier(PRIMARY, 1, clock);
        TierWalk small =
                new TierWalk(new TierSelector(List.of(tinyPrimary, backup, failover)), clock::nanoTime);
        tinyPrimary.tryReserve();
        backup.breaker().forceOpen();
        assertThat(backup.tryStartTrial()).as("another caller is making the backup's trial").isTrue();
        clock.advance(Duration.ofMillis(5_800));
        connector.fail(FAILOVER, "53300", "too many connections");

        NoTierAvailableException e = noTier(() -> small.acquire(Purpose.READ_WRITE, connector, "orders"));

        assertThat(connector.connects).containsExactly(FAILOVER);
        assertThat(e.getMessage()).contains("(primary: cap 1/1 full; backup: breaker OPEN, retry in 4200 ms;"
                + " failover: 53300 too many connections)");
        assertThat(e.getSQLState()).isEqualTo("53300");
        assertThat(e.attempts()).extracting(TierAttempt::outcome)
                .containsExactly(Outcome.CAP_FULL, Outcome.BREAKER_REFUSED, Outcome.FAILED);
        assertThat(tinyPrimary.openConnections()).as("only the slot taken by the test").isEqualTo(1);
    }

    @Test
    @DisplayName("when nothing else serves, one caller tries a tier whose breaker is open, and its success closes the breaker")
    void openBreakerTriedByOneCallerWhenNothingElseServes() throws SQLException {
        TierWalk primaryOnly = new TierWalk(new TierSelector(List.of(primary)), clock::nanoTime);
        primary.breaker().forceOpen();

        Acquired<FakeConnection> got = primaryOnly.acquire(Purpose.READ_WRITE, connector, "orders");

        assertThat(got.tier()).isSameAs(primary);
        assertThat(primary.breaker().state()).as("recovered: closed without waiting out the open state").isEqualTo(BreakerState.CLOSED);
        clock.advance(Duration.ofMillis(20));
        assertThat(primary.tryStartTrial()).as("the trial permit was given back").isTrue();
        primary.endTrial();

        primary.breaker().forceOpen();
        connector.fail(PRIMARY, "08001", "Connection refused");
        assertThat(primaryOnly.selector().select(Purpose.READ_WRITE).candidates()).containsExactly(primary);
        NoTierAvailableException tooSoon = noTier(() -> primaryOnly.acquire(Purpose.READ_WRITE, connector, "orders"));
        assertThat(tooSoon.getMessage()).as("trials are spaced: the last one was just now").contains("primary: breaker OPEN");
        clock.advance(Duration.ofMillis(20));
        NoTierAvailableException e = noTier(() -> primaryOnly.acquire(Purpose.READ_WRITE, connector, "orders"));
        assertThat(e.getMessage()).as("the server's own failure, from the trial").endsWith("(primary: 08001 Connection refused)");
        assertThat(primary.breaker().retryInMillis()).as("a failed trial restarts the open wait")
                .isEqualTo(BreakerConfig.defaults().waitInOpenState().toMillis());
        assertThat(connector.connects).containsExactly(PRIMARY, PRIMARY);
    }

    @Test
    @DisplayName("a down tier is tried by one caller only when no candidate serves; the others are told why it is out")
    void downTierTriedOnceWhenNothingElseServes() throws SQLException {
        primary.markDown();
        assertThat(walk.acquire(Purpose.READ_WRITE, connector, "orders").tier()).as("the backup serves: no trial").isSameAs(backup);
        assertThat(connector.connects).containsExactly(BACKUP);

        backup.drain();
        failover.drain();
        clock.advance(Duration.ofMillis(20));
        assertThat(primary.tryStartTrial()).as("another caller holds the trial").isTrue();
        NoTierAvailableException e = noTier(() -> walk.acquire(Purpose.READ_WRITE, connector, "orders"));
        assertThat(e.getMessage()).contains("primary: down");
        assertThat(connector.connects).as("no second trial at once").containsExactly(BACKUP);
        primary.endTrial();
        clock.advance(Duration.ofMillis(20));

        Acquired<FakeConnection> got = walk.acquire(Purpose.READ_WRITE, connector, "orders");
        assertThat(got.tier()).isSameAs(primary);
        assertThat(primary.state()).as("the trial returned it to service").isEqualTo(io.pgtier.api.TierState.UP);
    }

    @Test
    @DisplayName("a full server or a refused sign-on is reported but never counted against the tier's breaker or health")
    void capacityAndConfigurationNotHeldAgainstTheTier() {
        Connector<FakeConnection> classifying = new Connector<>() {
            @Override
            public FakeConnection connect(Tier tier) throws SQLException {
                return connector.connect(tier);
            }

            @Override
            public Role roleOf(FakeConnection connection) {
                return connection.role();
            }

            @Override
            public void discard(FakeConnection connection) {
                connector.discard(connection);
            }

            @Override
            public FailureKind classify(SQLException failure) {
                return failure.getSQLState().startsWith("53") ? FailureKind.CAPACITY : FailureKind.CONFIG;
            }
        };
        TierWalk primaryOnly = new TierWalk(new TierSelector(List.of(primary)), clock::nanoTime);
        connector.fail(PRIMARY, "53300", "sorry, too many clients already");
        for (int i = 0; i < 8; i++) {
            noTier(() -> primaryOnly.acquire(Purpose.READ_WRITE, classifying, "orders"));
        }
        connector.fail(PRIMARY, "28P01", "password authentication failed");
        NoTierAvailableException e = noTier(() -> primaryOnly.acquire(Purpose.READ_WRITE, classifying, "orders"));

        assertThat(e.attempts()).extracting(TierAttempt::outcome).containsExactly(Outcome.REJECTED);
        assertThat(e.attempts().get(0).mayPass()).as("waiting cannot help a wrong password").isFalse();
        assertThat(primary.breaker().state()).isEqualTo(BreakerState.CLOSED);
        assertThat(primary.state()).isEqualTo(io.pgtier.api.TierState.UP);
        assertThat(primary.status().failures()).as("still counted as failed attempts").isEqualTo(9);
    }

    @Test
    @DisplayName("a storm of attempts on a failing tier is bounded by its attempt budget, which refills with time")
    void attemptsAreBudgeted() {
        Tier small = Fixtures.tier(PRIMARY, 5, clock);
        TierWalk walkOne = new TierWalk(new TierSelector(List.of(small)), clock::nanoTime);
        connector.fail(PRIMARY, "08001", "Connection refused");
        List<Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            small.breaker().forceClosed();
            outcomes.add(noTier(() -> walkOne.acquire(Purpose.READ_WRITE, connector, "orders")).attempts().get(0).outcome());
        }
        assertThat(connector.connects).as("a burst of 5, then nothing without time passing").hasSize(5);
        assertThat(outcomes.subList(5, 50)).containsOnly(Outcome.THROTTLED);

        clock.advance(Duration.ofSeconds(1));
        small.breaker().forceClosed();
        noTier(() -> walkOne.acquire(Purpose.READ_WRITE, connector, "orders"));
        assertThat(connector.connects).as("refilled at 5/s").hasSize(6);
    }

    @Test
    @DisplayName("a standby reached for READ_WRITE is discarded, its slot released, its role remembered")
    void standbyDiscardedForReadWrite() throws SQLException {
        connector.role(PRIMARY, Role.STANDBY);

        Acquired<FakeConnection> got = walk.acquire(Purpose.READ_WRITE, connector, "orders");

        assertThat(got.tier()).isSameAs(backup);
        assertThat(connector.discarded).containsExactly(new FakeConnection(PRIMARY, Role.STANDBY));
        assertThat(primary.openConnections()).isZero();
        assertThat(primary.role()).isEqualTo(Role.STANDBY);
        assertThat(primary.breaker().state()).as("the server answered").isEqualTo(BreakerState.CLOSED);
        assertThat(primary.status().acquired()).isZero();
    }

    @Test
    @DisplayName("a lone standby for READ_WRITE is reported, and not connected to again until its role is seen to change")
    void standbyReportedThenRetriedLast() throws SQLException {
        TierWalk primaryOnly = new TierWalk(new TierSelector(List.of(primary)), clock::nanoTime);
        connector.role(PRIMARY, Role.STANDBY);

        NoTierAvailableException first =
                noTier(() -> primaryOnly.acquire(Purpose.READ_WRITE, connector, "a"));
        NoTierAvailableException second =
                noTier(() -> primaryOnly.acquire(Purpose.READ_WRITE, connector, "a"));

        assertThat(first.getMessage()).endsWith("(primary: server is a standby (read-only))");
        assertThat(first.getSQLState()).as("nothing failed at the server").isEqualTo("08001");
        assertThat(first.getCause()).isNull();
        assertThat(first.attempts()).extracting(TierAttempt::outcome).containsExactly(Outcome.WRONG_ROLE);
        assertThat(second.attempts()).extracting(TierAttempt::outcome).containsExactly(Outcome.EXCLUDED);
        assertThat(second.getMessage()).endsWith("(primary: server is a standby (read-only))");
        assertThat(connector.connects).as("no session opened on a known standby").containsExactly(PRIMARY);

        connector.role(PRIMARY, Role.WRITABLE);
        primary.recordRole(Role.WRITABLE); // what the monitor's probe records after a promotion
        assertThat(primaryOnly.acquire(Purpose.READ_WRITE, connector, "a").tier()).as("promoted").isSameAs(primary);
    }

    @Test
    @DisplayName("READ_ONLY takes a standby, and drained or down tiers appear in the error")
    void readOnlyAndExcludedTiers() throws SQLException {
        primary.recordRole(Role.WRITABLE);
        backup.recordRole(Role.STANDBY);
        connector.role(BACKUP, Role.STANDBY);

        Acquired<FakeConnection> got = walk.acquire(Purpose.READ_ONLY, connector, "reports");
        primary.drain();
        backup.markDown();
        assertThat(backup.tryStartTrial()).as("another caller is making the backup's trial").isTrue();
        connector.fail(FAILOVER, "08006", "I/O error");
        NoTierAvailableException e = noTier(() -> walk.acquire(Purpose.READ_ONLY, connector, "reports"));

        assertThat(got.tier()).isSameAs(backup);
        assertThat(e.getMessage()).startsWith("pgtier[reports] no tier could serve READ_ONLY within ")
                .endsWith("(primary: drained by operator; backup: down (health checks failing; re-probed within a second, and one caller tries it when no tier serves);"
                        + " failover: 08006 I/O error)");
    }

    @Test
    @DisplayName("failures at the primary open its breaker, and the walk then skips it without connecting")
    void repeatedFailuresOpenTheBreaker() throws SQLException {
        connector.fail(PRIMARY, "08001", "Connection refused");
        for (int i = 0; i < 4; i++) {
            walk.acquire(Purpose.READ_WRITE, connector, "orders");
        }
        assertThat(primary.breaker().state()).isEqualTo(BreakerState.OPEN);
        connector.connects.clear();

        walk.acquire(Purpose.READ_WRITE, connector, "orders");

        assertThat(connector.connects).containsExactly(BACKUP);
    }

    @Test
    @DisplayName("a connection created while its tier starts retiring belongs to the old generation")
    void generationIsReadBeforeConnecting() throws SQLException {
        connector.duringConnect = primary::retireConnections;

        Acquired<FakeConnection> got = walk.acquire(Purpose.READ_WRITE, connector, "orders");

        assertThat(primary.isRetired(got.generation())).isTrue();
    }

    @Test
    @DisplayName("a bug in the connector propagates, yet the slot and the half-open permit come back")
    void runtimeExceptionReleasesEverything() {
        primary.breaker().forceOpen();
        clock.advance(Duration.ofSeconds(10));
        connector.duringConnect = () -> {
            throw new IllegalStateException("bug");
        };

        assertThatThrownBy(() -> walk.acquire(Purpose.READ_WRITE, connector, "orders"))
                .isInstanceOf(IllegalStateException.class);

        assertThat(primary.openConnections()).isZero();
        assertThat(primary.breaker().state()).isEqualTo(BreakerState.HALF_OPEN);
        assertThat(primary.breaker().tryAcquirePermission()).isTrue();
        assertThat(primary.breaker().tryAcquirePermission()).as("both trial permits free again").isTrue();
    }
}
