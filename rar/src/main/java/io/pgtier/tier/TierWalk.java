package io.pgtier.tier;

import io.pgtier.api.Purpose;
import io.pgtier.api.Role;
import io.pgtier.api.TierId;
import io.pgtier.tier.TierAttempt.Outcome;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The connect loop: creates one physical connection on the first tier that can give one.
 *
 * <p>For each candidate from the {@link TierSelector}, in order: ask the breaker for a permit, take
 * a slot of the tier's cap and a token of its attempt budget (only attempts that reach the server
 * spend one), connect, then ask the server its role. Anything that stops the tier is recorded as a {@link TierAttempt} and the walk moves on.
 *
 * <p><b>Trials.</b> When no candidate gives a connection, the tiers a verdict keeps out — marked
 * down, or refused by an open breaker — are the best left that may still serve: one caller at a
 * time ({@link Tier#tryStartTrial()}) tries each, in walk order, bypassing the breaker. A success
 * returns the tier to service ({@link Tier#markUp()}); a failure restarts its breaker's wait. So a
 * verdict moves work to a tier that can serve, and never refuses the last one that can.
 *
 * <p>If no tier succeeds, a {@link NoTierAvailableException} lists every configured tier, tried or not.
 *
 * <p>Invariants, whatever happens (including a {@code RuntimeException} from the connector,
 * which is a bug and propagates rather than being mistaken for a tier failure):
 * <ul>
 *   <li>every breaker permit ends in exactly one success, failure or release;</li>
 *   <li>every cap slot is released unless it is handed out inside {@link Acquired};</li>
 *   <li>every connection opened but not handed out is discarded;</li>
 *   <li>only a failure of the server or the route ({@link FailureKind#SERVER}) counts against a tier.</li>
 * </ul>
 *
 * <p>A server with the wrong role (a standby reached by READ_WRITE, typically just after a
 * switchover the monitor has not seen yet) counts as a <em>success</em> for the breaker: the server
 * answered, which is what the breaker judges. Its role is recorded so the next walk skips it.
 *
 * <p>Waiting and retrying are the pool's job ({@code PoolRuntime}); the walk never sleeps.
 */
public final class TierWalk {

    private final TierSelector selector;
    private final LongSupplier nanoClock;

    public TierWalk(TierSelector selector, LongSupplier nanoClock) {
        this.selector = Objects.requireNonNull(selector, "selector");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    public TierSelector selector() {
        return selector;
    }

    public <C> Acquired<C> acquire(Purpose purpose, Connector<C> connector, String poolName)
            throws NoTierAvailableException {
        long start = nanoClock.getAsLong();
        TierSelector.Selection selection = selector.select(purpose);
        Map<TierId, TierAttempt> attempts = new EnumMap<>(TierId.class);
        for (Map.Entry<TierId, String> e : selection.excluded().entrySet()) {
            boolean drained = selector.tiers().stream()
                    .anyMatch(t -> t.id() == e.getKey() && t.state() == io.pgtier.api.TierState.DRAINED);
            attempts.put(e.getKey(), TierAttempt.skipped(e.getKey(), drained ? Outcome.DRAINED : Outcome.EXCLUDED,
                    e.getValue()));
        }
        List<Tier> trials = new ArrayList<>(selection.trials());
        for (Tier tier : selection.candidates()) {
            Acquired<C> acquired = tryTier(tier, purpose, connector, attempts, false);
            if (acquired != null) {
                return acquired;
            }
            if (attempts.get(tier.id()).outcome() == Outcome.BREAKER_REFUSED
                    && tier.breaker().state() == io.pgtier.api.BreakerState.OPEN) {
                trials.add(tier);
            }
        }
        trials.sort(Comparator.comparing(Tier::id));
        for (Tier tier : trials) {
            if (!tier.tryStartTrial()) {
                continue;
            }
            try {
                Acquired<C> acquired = tryTier(tier, purpose, connector, attempts, true);
                if (acquired != null) {
                    return acquired;
                }
            } finally {
                tier.endTrial();
            }
        }
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(nanoClock.getAsLong() - start);
        throw new NoTierAvailableException(poolName, purpose, elapsedMillis, new ArrayList<>(attempts.values()));
    }

    /**
     * One tier's turn; returns {@code null} after recording in {@code attempts} when it cannot serve.
     * A {@code trial} bypasses the breaker and, on success, returns the tier to service.
     */
    private <C> Acquired<C> tryTier(Tier tier, Purpose purpose, Connector<C> connector,
            Map<TierId, TierAttempt> attempts, boolean trial) {
        Breaker breaker = tier.breaker();
        if (!trial && !breaker.tryAcquirePermission()) {
            attempts.put(tier.id(), TierAttempt.skipped(tier.id(), Outcome.BREAKER_REFUSED,
                    Messages.refused(breaker.refusal(), tier.lastFailure())));
            return null;
        }
        boolean judged = trial;
        if (!tier.tryReserve()) {
            if (!judged) {
                breaker.releasePermission();
            }
            keepFirst(attempts, TierAttempt.skipped(tier.id(), Outcome.CAP_FULL,
                    Messages.capFull(tier.openConnections(), tier.endpoint().maxConnections())));
            return null;
        }
        if (!trial && !tier.tryTakeAttempt()) {
            tier.release();
            if (!judged) {
                breaker.releasePermission();
            }
            keepFirst(attempts, TierAttempt.skipped(tier.id(), Outcome.THROTTLED,
                    Messages.throttled(tier.attemptBudget().perSecond())));
            return null;
        }
        long generation = tier.generation();
        C connection = null;
        boolean handedOut = false;
        tier.connectStarted();
        try {
            connection = connector.connect(tier);
            Role role = connector.roleOf(connection);
            if (trial) {
                tier.markUp();
            }
            if (!purpose.canUse(role)) {
                tier.recordRole(role);
                if (!judged) {
                    breaker.onSuccess();
                }
                judged = true;
                attempts.put(tier.id(), TierAttempt.skipped(tier.id(), Outcome.WRONG_ROLE,
                        Messages.wrongRole(role, purpose)));
                return null;
            }
            tier.recordAcquired(role);
            judged = true;
            handedOut = true;
            return new Acquired<>(connection, tier, generation);
        } catch (SQLException e) {
            FailureKind kind = connector.classify(e);
            TierAttempt failed = TierAttempt.failed(tier.id(), e, kind);
            if (kind == FailureKind.SERVER) {
                tier.recordFailure(failed.reason());
                if (trial) {
                    breaker.forceOpen();
                }
                judged = true;
            } else {
                tier.recordRefusal(failed.reason());
            }
            attempts.put(tier.id(), failed);
            return null;
        } finally {
            tier.connectEnded();
            if (!judged) {
                breaker.releasePermission();
            }
            if (!handedOut) {
                abandon(tier, connector, connection);
            }
        }
    }

    /** A trial that could not even start keeps what the tier's first turn found (its real reason). */
    private static void keepFirst(Map<TierId, TierAttempt> attempts, TierAttempt attempt) {
        attempts.merge(attempt.tier(), attempt, (first, later) -> first.outcome() == Outcome.EXCLUDED
                || first.outcome() == Outcome.DRAINED || first.outcome() == Outcome.BREAKER_REFUSED ? first : later);
    }

    private static <C> void abandon(Tier tier, Connector<C> connector, C connection) {
        try {
            if (connection != null) {
                connector.discard(connection);
            }
        } finally {
            tier.release();
        }
    }
}
