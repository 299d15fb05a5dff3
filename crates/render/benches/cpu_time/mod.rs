//! A criterion measurement of the benchmark thread's own CPU time, for a shared machine:
//! wall-clock time also counts the time other processes hold the CPU, CPU time does not.
//! `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`: nanosecond resolution, unlike
//! `/proc/thread-self/schedstat`, which only advances at scheduler ticks.
//!
//! Shared by the benchmarks of render, drift and rollout (`mod cpu_time;`, the others by
//! `#[path]`), with [`main!`]: the same benchmarks under both clocks. A directory, so that
//! cargo does not take it for a benchmark of its own.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};

pub(crate) struct CpuTime;

/// Criterion's own duration formatter (ns → µs/ms), borrowed from its wall-clock
/// measurement so both report alike.
static WALL: WallTime = WallTime;

fn thread_cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

/// The `main` of a benchmark (with `mod cpu_time;` at its crate root): each target, a
/// `fn(&mut Criterion<M>, clock: &str)` generic over the measurement, run first under the
/// wall clock (groups `wall/...`), then under [`CpuTime`] (`cpu/...`), side by side. Short
/// runs: the machine is shared (see BENCHMARKS.md); the numbers are stable enough.
///
/// ```ignore
/// cpu_time::main! {
///     measurement_time = Duration::from_secs(4);
///     targets = one_environment, all_combinations
/// }
/// ```
macro_rules! main {
    (measurement_time = $time:expr; targets = $($target:ident),+ $(,)?) => {
        fn wall(c: &mut ::criterion::Criterion) {
            $($target(c, "wall");)+
        }

        fn cpu(c: &mut ::criterion::Criterion<$crate::cpu_time::CpuTime>) {
            $($target(c, "cpu");)+
        }

        fn config() -> ::criterion::Criterion {
            ::criterion::Criterion::default()
                .warm_up_time(::std::time::Duration::from_secs(1))
                .measurement_time($time)
        }

        ::criterion::criterion_group! {
            name = wall_clock;
            config = config();
            targets = wall
        }
        ::criterion::criterion_group! {
            name = cpu_clock;
            config = config().with_measurement($crate::cpu_time::CpuTime);
            targets = cpu
        }
        ::criterion::criterion_main!(wall_clock, cpu_clock);
    };
}
pub(crate) use main;
