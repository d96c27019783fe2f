package io.pgtier.tier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtier.api.BreakerState;
import io.pgtier.api.Role;
import io.pgtier.api.TierId;
import io.pgtier.api.TierState;
import io.pgtier.api.TierStatus;
import io.pgtier.tier.Fixtures.ManualClock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TierTest {

    private final ManualClock clock = new ManualClock();

    @Test
    @DisplayName("failback probation starts on the good probe after a down verdict, or after failed connection attempts alone")
    void probationAfterDownOrFailedAttempts() {
        Tier tier = Fixtures.tier(TierId.PRIMARY, 3, clock);
        tier.failbackAfter(java.time.Duration.ofHours(1));

        tier.markUp();
        assertThat(tier.onProbation()).as("healthy all along: no probation").isFalse();

        tier.recordFailure("08006 Connection reset");
        tier.markUp();
        assertThat(tier.onProbation()).as("connects failed, the monitor never saw it down").isTrue();

        Tier other = Fixtures.tier(TierId.BACKUP, 3, clock);
        other.failbackAfter(java.time.Duration.ofHours(1));
        other.markDown();
        other.markUp();
        assertThat(other.onProbation()).isTrue();
        assertThat(other.finishProbation()).as("not before its time").isFalse();
    }

    @Test
    @DisplayName("8 threads hammering tryReserve/release never hold more slots than the cap")
    void reserveNeverExceedsCap() throws Exception {
        int cap = 3;
        Tier tier = Fixtures.tier(TierId.PRIMARY, cap, clock);
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger maxHolders = new AtomicInteger();
        AtomicInteger maxCounted = new AtomicInteger();
        AtomicInteger granted = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < 20_000; i++) {
                        if (tier.tryReserve()) {
                            granted.incrementAndGet();
                            // Counted independently of the tier, so a broken counter cannot hide itself.
                            maxHolders.accumulateAndGet(holders.incrementAndGet(), Math::max);
                            maxCounted.accumulateAndGet(tier.openConnections(), Math::max);
                            holders.decrementAndGet();
                            tier.release();
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(maxHolders.get()).as("threads holding a slot at once").isBetween(1, cap);
        assertThat(maxCounted.get()).as("tier's own count").isBetween(1, cap);
        assertThat(granted.get()).isPositive();
        assertThat(tier.openConnections()).as("all slots returned").isZero();
    }

    @Test
    void reserveStopsAtCapAndReleaseFreesASlot() {
        Tier tier = Fixtures.tier(TierId.BACKUP, 2, clock);

        assertThat(tier.tryReserve()).isTrue();
        assertThat(tier.tryReserve()).isTrue();
        assertThat(tier.tryReserve()).isFalse();
        tier.release();

        assertThat(tier.tryReserve()).isTrue();
        assertThat(tier.openConnections()).isEqualTo(2);
    }

    @Test
    @DisplayName("release() without a reservation fails loudly instead of going negative")
    void releaseWithoutReserveFails() {
        Tier tier = Fixtures.tier(TierId.PRIMARY, 2, clock);

        assertThatThrownBy(tier::release).isInstanceOf(IllegalStateException.class);
        assertThat(tier.openConnections()).isZero();
    }

    @Test
    @DisplayName("drain wins over health, and resume returns to what the monitor last said")
    void drainAndHealthAreIndependent() {
        Tier tier = Fixtures.tier(TierId.PRIMARY, 2, clock);
        assertThat(tier.state()).isEqualTo(TierState.UP);

        tier.drain();
        tier.markDown();
        assertThat(tier.state()).isEqualTo(TierState.DRAINED);
        tier.resume();
        assertThat(tier.state()).isEqualTo(TierState.DOWN);
        tier.markUp();

        assertThat(tier.state()).isEqualTo(TierState.UP);
    }

    @Test
    @DisplayName("markDown opens the breaker at once; markUp (a good probe or trial) closes it without waiting out its open time")
    void markDownForcesBreakerOpen() {
        Tier tier = Fixtures.tier(TierId.PRIMARY, 2, clock);

        tier.markDown();
        assertThat(tier.breaker().state()).isEqualTo(BreakerState.OPEN);
        assertThat(tier.breaker().retryInMillis()).as("still in its open wait").isPositive();
        tier.markUp();

        assertThat(tier.breaker().state()).isEqualTo(BreakerState.CLOSED);
        assertThat(tier.state()).isEqualTo(TierState.UP);
    }

    @Test
    @DisplayName("connections of an older generation are retired; draining starts a new generation")
    void retiringByGeneration() {
        Tier tier = Fixtures.tier(TierId.BACKUP, 2, clock);
        long before = tier.generation();

        tier.retireConnections();
        long afterRetire = tier.generation();
        tier.drain();

        assertThat(tier.isRetired(before)).isTrue();
        assertThat(tier.isRetired(afterRetire)).as("drain retires too").isTrue();
        assertThat(tier.isRetired(tier.generation())).isFalse();
    }

    @Test
    @DisplayName("the password is in no string an endpoint, a tier or a status produces")
    void passwordNeverShown() {
        Tier tier = Fixtures.tier(TierId.PRIMARY, 2, clock);

        TierStatus status = tier.status();

        assertThat(tier.endpoint().toString()).doesNotContain(Fixtures.PASSWORD).contains("user=app");
        assertThat(tier.toString()).doesNotContain(Fixtures.PASSWORD);
        assertThat(status.endpoint()).isEqualTo("jdbc:postgresql://primary.db:5432/app?password=***");
        assertThat(status.toString()).doesNotContain(Fixtures.PASSWORD);
        assertThat(new TierEndpoint("jdbc:postgresql://h/db?ssl=true&sslPassword=x1&user=u", null, null, 1)
                .safeUrl()).isEqualTo("jdbc:postgresql://h/db?ssl=true&sslPassword=***&user=u");
    }

    @Test
    void statusReportsCountsRoleAndBreaker() {
        Tier tier = Fixtures.tier(TierId.FAILOVER, 5, clock);
        tier.tryReserve();
        tier.recordAcquired(Role.STANDBY);
        tier.recordLag(4096);
        tier.recordFailure();

        TierStatus status = tier.status();

        assertThat(status.id()).isEqualTo(TierId.FAILOVER);
        assertThat(status.state()).isEqualTo(TierState.UP);
        assertThat(status.role()).isEqualTo(Role.STANDBY);
        assertThat(status.lagBytes()).isEqualTo(4096);
        assertThat(status.openConnections()).isEqualTo(1);
        assertThat(status.maxConnections()).isEqualTo(5);
        assertThat(status.acquired()).isEqualTo(1);
        assertThat(status.failures()).isEqualTo(1);
        assertThat(status.breaker()).isEqualTo(BreakerState.CLOSED);
        assertThat(status.breakerRetryAt()).isNull();
        tier.markDown();
        assertThat(tier.status().breakerRetryAt()).as("set while OPEN").isNotNull();
    }

    @Test
    @DisplayName("Tiers: primary required, lookup by id, snapshot in walk order")
    void registry() {
        Tiers tiers = Tiers.create(Map.of(
                        TierId.FAILOVER, new TierEndpoint("jdbc:postgresql://f/db", "u", "p", 5),
                        TierId.PRIMARY, new TierEndpoint("jdbc:postgresql://p/db", "u", "p", 10)),
                BreakerConfig.defaults(), clock::nanoTime, BreakerListener.NONE);

        assertThat(tiers.snapshot()).extracting(TierStatus::id)
                .containsExactly(TierId.PRIMARY, TierId.FAILOVER);
        assertThat(tiers.find(TierId.BACKUP)).isEmpty();
        assertThat(tiers.get(TierId.FAILOVER).endpoint().maxConnections()).isEqualTo(5);
        assertThatThrownBy(() -> new Tiers(List.of(Fixtures.tier(TierId.BACKUP, 1, clock))))
                .hasMessageContaining("primary");
    }
}
