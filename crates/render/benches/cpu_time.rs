//! A criterion measurement of the benchmark thread's own CPU time, for a shared machine:
//! wall-clock time also counts the time other processes hold the CPU, CPU time does not.
//! `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`: nanosecond resolution, unlike
//! `/proc/thread-self/schedstat`, which only advances at scheduler ticks.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};

pub struct CpuTime;

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
