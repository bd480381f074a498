//! The update path allocates nothing: counted with dhat's heap profiler.

use beamline::{Buckets, Counter, Family, FloatGauge, Histogram, Summary};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = dhat::HeapStats::get().total_blocks;
    f();
    dhat::HeapStats::get().total_blocks - before
}

#[test]
fn updates_and_lookups_of_existing_series_allocate_nothing() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let family: Family<Counter, 2> = Family::new(["method", "code"]);
    family.get(["GET", "200"]).inc();
    let owned = (String::from("GET"), String::from("200"));
    let counter = Counter::new();
    let gauge = FloatGauge::new();
    let histogram = Histogram::new(Buckets::default());
    let summary = Summary::new();
    let n = allocations_during(|| {
        for _ in 0..1000 {
            family.get(["GET", "200"]).inc();
            family.with((&owned.0, &owned.1), Counter::inc);
            counter.inc();
            gauge.add(1.5);
            histogram.observe(0.3);
            summary.observe(0.3);
        }
    });
    assert_eq!(n, 0);
    // The counter does see allocations: creating a series makes some.
    assert!(allocations_during(|| family.get(["PUT", "201"]).inc()) > 0);
    assert_eq!(family.get(["GET", "200"]).get(), 2001);
}
