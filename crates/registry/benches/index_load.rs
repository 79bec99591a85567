//! How long a large chart repository index takes to load: builds an `index.yaml` of
//! `--charts` charts × `--versions` versions (default 100 × 100 = 10,000 entries, about the
//! size of a big public repository), then prints its size and the median time to parse it,
//! to find the latest version of one chart, and to write it back.
//!
//!   cargo bench -p verso-registry --bench index_load [-- --charts N --versions N --runs N]

use std::time::{Duration, Instant};

use verso_registry::chart::{Index, Metadata};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str, default: usize| {
        args.iter()
            .position(|arg| arg == name)
            .and_then(|index| args.get(index + 1))
            .and_then(|value| value.parse().ok())
            .unwrap_or(default)
    };
    let (charts, versions, runs) = (
        option("--charts", 100),
        option("--versions", 100),
        option("--runs", 5),
    );
    let mut index = Index::new("2026-01-01T00:00:00Z");
    for chart in 0..charts {
        for version in 0..versions {
            let yaml = format!(
                "apiVersion: v2\nname: chart-{chart}\nversion: 1.{version}.0\nappVersion: \"{version}.0\"\ndescription: A chart for service number {chart}\nhome: https://example.com/chart-{chart}\nkeywords: [web, service]\nmaintainers:\n  - name: Team {chart}\n    email: team{chart}@example.com\n"
            );
            let metadata = Metadata::parse(yaml.as_bytes(), "Chart.yaml").expect("metadata");
            let entry = Index::entry(
                &metadata,
                &format!("sha256:{:064x}", chart * 100_000 + version),
                vec![format!(
                    "https://charts.example.com/chart-{chart}-1.{version}.0.tgz"
                )],
                "2026-01-01T00:00:00Z",
            );
            index.add(entry).expect("add");
        }
    }
    let text = index.to_yaml().expect("yaml");
    let median = |mut times: Vec<Duration>| {
        times.sort();
        times[times.len() / 2].as_secs_f64() * 1000.0
    };
    let mut parse = Vec::new();
    let mut find = Vec::new();
    let mut write = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let parsed = Index::parse(text.as_bytes(), "index.yaml").expect("parse");
        parse.push(started.elapsed());
        let started = Instant::now();
        let latest = parsed.find("chart-42", None).expect("chart-42");
        find.push(started.elapsed());
        assert_eq!(latest["version"], format!("1.{}.0", versions - 1));
        let started = Instant::now();
        let written = parsed.to_yaml().expect("write");
        write.push(started.elapsed());
        assert_eq!(written.len(), text.len());
    }
    println!(
        "index.yaml: {} entries, {:.1} MiB; parse {:.0} ms, find latest {:.3} ms, write {:.0} ms (median of {runs})",
        charts * versions,
        text.len() as f64 / 1048576.0,
        median(parse),
        median(find),
        median(write)
    );
}
