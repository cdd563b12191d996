package io.walstash.core.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.backup.BackupCatalog.NoSuchBackupException;
import io.walstash.core.retention.RetentionPlan.Deletion;
import io.walstash.core.retention.RetentionPlan.Kept;
import io.walstash.core.retention.RetentionPolicy.BeforeBackup;
import io.walstash.core.retention.RetentionPolicy.BeforeTime;
import io.walstash.core.retention.RetentionPolicy.Everything;
import io.walstash.core.retention.RetentionPolicy.Retain;
import io.walstash.core.retention.RetentionPolicy.Scope;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalSegmentSize;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The planner against an expectation computed the simple way: "newer" is the order in which the
 * generated history took its backups, and chains are followed by name.
 */
class RetentionPlannerPropertiesTest {

    record Case(History history, RetentionPolicy policy, Instant now, long shuffleSeed) {
        @Override
        public String toString() {
            return policy.describe() + " now=" + now + " backups=" + history.backups().stream()
                    .map(b -> b.name() + (b.permanent() ? "(P)" : "") + "@" + b.stopTime()).toList();
        }
    }

    @Provide
    Arbitrary<History> histories() {
        Arbitrary<History.Step> steps = Combinators.combine(
                Arbitraries.of(History.Kind.class),
                Arbitraries.frequency(
                        net.jqwik.api.Tuple.of(8, History.Event.NONE),
                        net.jqwik.api.Tuple.of(1, History.Event.PROMOTION),
                        net.jqwik.api.Tuple.of(1, History.Event.MAJOR_UPGRADE)),
                Arbitraries.integers().between(1, 3 * 24 * 60),
                Arbitraries.integers().between(0, 120),
                Arbitraries.integers().between(0, 4),
                Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 9).map(i -> i == 0))
                .as(History.Step::new);
        Arbitrary<List<History.Step>> stepLists = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, steps.list().ofMaxSize(1)),
                net.jqwik.api.Tuple.of(9, steps.list().ofMinSize(2).ofMaxSize(16)));
        return Combinators.combine(stepLists, Arbitraries.longs(),
                        Arbitraries.of(0.0, 0.5, 0.9, 1.0))
                .as(History::build);
    }

    @Provide
    Arbitrary<Case> cases() {
        return histories().flatMap(h -> {
            Instant last = h.backups().isEmpty() ? History.T0 : h.backups().get(h.backups().size() - 1).stopTime();
            Arbitrary<Instant> nows = Arbitraries.longs().between(0, 10 * 24 * 60).map(m -> last.plus(Duration.ofMinutes(m)));
            Arbitrary<Duration> windows = Arbitraries.oneOf(Arbitraries.just(null),
                    Arbitraries.longs().between(1, 30 * 24).map(Duration::ofHours));
            Arbitrary<RetentionPolicy> retain = Combinators.combine(Arbitraries.of(Scope.class),
                            Arbitraries.integers().between(0, 6), windows)
                    .filter((scope, count, window) -> count > 0 || window != null)
                    .as(Retain::new);
            List<String> names = h.backups().stream().map(BackupEntry::name).toList();
            Arbitrary<RetentionPolicy> before = names.isEmpty() ? Arbitraries.just(new BeforeTime(History.T0))
                    : Arbitraries.of(names).map(BeforeBackup::new);
            Arbitrary<RetentionPolicy> beforeTime = Arbitraries.longs().between(-24 * 60, 40 * 24 * 60)
                    .map(m -> new BeforeTime(History.T0.plus(Duration.ofMinutes(m))));
            Arbitrary<RetentionPolicy> policies = Arbitraries.frequencyOf(
                    net.jqwik.api.Tuple.of(6, retain), net.jqwik.api.Tuple.of(2, before),
                    net.jqwik.api.Tuple.of(2, beforeTime), net.jqwik.api.Tuple.of(1, Arbitraries.just(new Everything())));
            return Combinators.combine(policies, nows, Arbitraries.longs()).as((p, now, seed) -> new Case(h, p, now, seed));
        });
    }

    /** The backups the policy itself keeps (before chains), computed from the generation order. */
    static Set<String> expectedByPolicy(Case c) {
        List<BackupEntry> all = c.history().backups(); // generation order = time order
        Set<String> protectedNames = protectedNames(c.history());
        List<BackupEntry> candidates = all.stream().filter(b -> !protectedNames.contains(b.name())).toList();
        Set<String> keep = new HashSet<>();
        if (c.policy() instanceof Retain r) {
            if (r.count() > 0) {
                List<BackupEntry> pool = candidates.stream().filter(b -> r.scope() == Scope.ALL || b.deltaBase() == null).toList();
                if (pool.size() < r.count()) {
                    candidates.forEach(b -> keep.add(b.name()));
                } else {
                    Set<String> newest = pool.subList(pool.size() - r.count(), pool.size()).stream()
                            .map(BackupEntry::name).collect(Collectors.toSet());
                    keep.addAll(newest);
                    if (r.scope() == Scope.FULL) {
                        candidates.stream().filter(b -> newest.contains(c.history().root(b.name())))
                                .forEach(b -> keep.add(b.name()));
                    }
                }
            }
            if (r.window() != null) {
                Instant start = c.now().minus(r.window());
                String newestBefore = null;
                for (BackupEntry b : all) {
                    if (b.stopTime().isBefore(start)) {
                        newestBefore = b.name();
                    } else if (!protectedNames.contains(b.name())) {
                        keep.add(b.name());
                    }
                }
                if (newestBefore != null) {
                    keep.add(newestBefore);
                }
            }
        } else if (c.policy() instanceof BeforeBackup b) {
            int from = c.history().index(b.name());
            all.subList(from, all.size()).forEach(e -> keep.add(e.name()));
        } else if (c.policy() instanceof BeforeTime t) {
            all.stream().filter(e -> !e.stopTime().isBefore(t.time())).forEach(e -> keep.add(e.name()));
        }
        Set<String> withChains = new HashSet<>();
        keep.forEach(n -> withChains.addAll(c.history().withBases(n)));
        return withChains;
    }

    static Set<String> protectedNames(History h) {
        Set<String> names = new HashSet<>();
        h.backups().stream().filter(BackupEntry::permanent).forEach(b -> names.addAll(h.withBases(b.name())));
        return names;
    }

    static boolean refused(Case c) {
        return c.policy() instanceof BeforeTime
                && expectedByPolicy(c).isEmpty()
                && !protectedNames(c.history()).containsAll(c.history().backups().stream().map(BackupEntry::name).toList());
    }

    static boolean nameOrderDiffers(History h) {
        List<String> names = h.backups().stream().map(BackupEntry::name).toList();
        return !names.equals(names.stream().sorted().toList());
    }

    static Set<String> intersection(Set<String> a, Set<String> b) {
        Set<String> both = new HashSet<>(a);
        both.retainAll(b);
        return both;
    }

    static RetentionPlan plan(Case c) throws NoSuchBackupException {
        return RetentionPlanner.plan(c.policy(), c.history().listing(), c.now());
    }

    @Property(tries = 400, edgeCases = EdgeCasesMode.NONE)
    void keepsExactlyWhatThePolicySaysAndDeletesTheRest(@ForAll("cases") Case c) throws Exception {
        if (refused(c)) {
            assertThatThrownBy(() -> plan(c)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("would delete every backup");
            return;
        }
        RetentionPlan plan = plan(c);
        Set<String> expected = new HashSet<>(expectedByPolicy(c));
        expected.addAll(protectedNames(c.history()));
        Set<String> kept = plan.kept().stream().map(k -> k.backup().name()).collect(Collectors.toSet());
        Set<String> deleted = plan.deletions().stream().map(Deletion::name).collect(Collectors.toSet());
        assertThat(kept).isEqualTo(expected);
        Set<String> all = c.history().backups().stream().map(BackupEntry::name).collect(Collectors.toSet());
        all.removeAll(expected);
        assertThat(deleted).isEqualTo(all);
        assertThat(plan.deletions()).hasSize(deleted.size());
        net.jqwik.api.statistics.Statistics.label("policy").collect(c.policy().getClass().getSimpleName());
        net.jqwik.api.statistics.Statistics.label("outcome").collect(
                (deleted.isEmpty() ? "deletes no backup" : "deletes backups")
                + (plan.wal().isEmpty() ? ", no WAL" : ", some WAL")
                + (c.history().backups().stream().anyMatch(b -> b.timeline() > 1) ? ", several timelines" : "")
                + (nameOrderDiffers(c.history()) ? ", name order is not time order (upgrade)" : ""));
    }

    @Property(tries = 400, edgeCases = EdgeCasesMode.NONE)
    void neverDeletesAChainAKeptOrPermanentBackupNeeds(@ForAll("cases") Case c) throws Exception {
        if (refused(c)) {
            return;
        }
        RetentionPlan plan = plan(c);
        Set<String> deleted = plan.deletions().stream().map(Deletion::name).collect(Collectors.toSet());
        for (Kept k : plan.kept()) {
            assertThat(intersection(c.history().withBases(k.backup().name()), deleted)).isEmpty();
        }
        for (BackupEntry b : c.history().backups()) {
            if (b.permanent()) {
                assertThat(intersection(c.history().withBases(b.name()), deleted)).isEmpty();
            }
        }
        // deltas go before the backups they are built on
        List<String> order = plan.deletions().stream().map(Deletion::name).toList();
        for (int i = 0; i < order.size(); i++) {
            Set<String> bases = new HashSet<>(c.history().withBases(order.get(i)));
            bases.remove(order.get(i));
            assertThat(intersection(new HashSet<>(order.subList(0, i)), bases)).as("bases deleted before " + order.get(i)).isEmpty();
        }
    }

    @Property(tries = 400, edgeCases = EdgeCasesMode.NONE)
    void walRules(@ForAll("cases") Case c) throws Exception {
        if (refused(c)) {
            return;
        }
        RetentionPlan plan = plan(c);
        List<BackupEntry> kept = plan.kept().stream().map(Kept::backup).toList();
        for (WalObject w : plan.wal()) {
            if (w.segment().isEmpty()) {
                assertThat(c.policy()).as("a history file goes only with everything: " + w.key()).isInstanceOf(Everything.class);
                assertThat(kept).as("history files stay while a permanent backup does").isEmpty();
                continue;
            }
            SegmentFileName s = w.segment().get();
            for (BackupEntry b : kept) {
                boolean needed = s.timeline() == b.timeline()
                        && s.segmentNumber(WalSegmentSize.DEFAULT) >= b.startWal().segmentNumber(WalSegmentSize.DEFAULT)
                        && s.segmentNumber(WalSegmentSize.DEFAULT) <= b.stopWal().segmentNumber(WalSegmentSize.DEFAULT);
                assertThat(needed).as(w.key() + " is needed by kept " + b.name()).isFalse();
            }
        }
        // and exactly the rest before the cutoff goes
        Set<String> byPolicy = expectedByPolicy(c);
        if (!(c.policy() instanceof Everything) && byPolicy.isEmpty()) {
            assertThat(plan.wal()).isEmpty();
            return;
        }
        long cutoff = c.policy() instanceof Everything ? Long.MAX_VALUE : byPolicy.stream()
                .mapToLong(n -> c.history().byName(n).startWal().segmentNumber(WalSegmentSize.DEFAULT))
                .min().orElseThrow();
        Set<String> expected = new HashSet<>();
        for (WalObject w : c.history().wal()) {
            if (w.segment().isEmpty()) {
                if (c.policy() instanceof Everything && kept.isEmpty()) {
                    expected.add(w.key());
                }
                continue;
            }
            SegmentFileName s = w.segment().get();
            long n = s.segmentNumber(WalSegmentSize.DEFAULT);
            boolean needed = kept.stream().anyMatch(b -> b.timeline() == s.timeline()
                    && n >= b.startWal().segmentNumber(WalSegmentSize.DEFAULT)
                    && n <= b.stopWal().segmentNumber(WalSegmentSize.DEFAULT));
            if (n < cutoff && !needed) {
                expected.add(w.key());
            }
        }
        assertThat(plan.wal().stream().map(WalObject::key).collect(Collectors.toSet())).isEqualTo(expected);
    }

    @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
    void theListingOrderDoesNotMatter(@ForAll("cases") Case c) throws Exception {
        if (refused(c)) {
            return;
        }
        List<BackupEntry> backups = new ArrayList<>(c.history().backups());
        List<WalObject> wal = new ArrayList<>(c.history().wal());
        Random random = new Random(c.shuffleSeed());
        Collections.shuffle(backups, random);
        Collections.shuffle(wal, random);
        RetentionPlan shuffled = RetentionPlanner.plan(c.policy(), new RepositoryListing(backups, List.of(), wal), c.now());
        assertThat(shuffled).isEqualTo(plan(c));
    }

    @Property(tries = 100, edgeCases = EdgeCasesMode.NONE)
    void anUnknownNameIsNotFound(@ForAll("histories") History h) {
        assertThatThrownBy(() -> RetentionPlanner.plan(new BeforeBackup("base_0000000F0000000000000000"), h.listing(),
                History.T0)).isInstanceOf(NoSuchBackupException.class).hasMessageContaining("base_0000000F0000000000000000");
    }

    @Property(tries = 200, edgeCases = EdgeCasesMode.NONE)
    void garbageKeepsEveryBackupAndTheirWal(@ForAll("histories") History h) {
        RetentionPlan plan = RetentionPlanner.garbage(h.listing(), History.T0, Duration.ofHours(24));
        assertThat(plan.deletions()).isEmpty();
        assertThat(plan.kept()).hasSize(h.backups().size());
        long earliest = h.backups().stream().mapToLong(b -> b.startWal().segmentNumber(WalSegmentSize.DEFAULT))
                .min().orElse(-1);
        for (WalObject w : plan.wal()) {
            assertThat(w.segment()).isPresent();
            assertThat(w.segment().get().segmentNumber(WalSegmentSize.DEFAULT)).isLessThan(earliest);
        }
        long expected = h.wal().stream().filter(w -> w.segment().isPresent()
                && w.segment().get().segmentNumber(WalSegmentSize.DEFAULT) < earliest).count();
        assertThat(plan.wal()).hasSize((int) expected);
    }
}
