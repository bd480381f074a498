//! Cross-checks of the generated types against `protoc` reading the `.proto`
//! files beside them: a field number, wire type or enum value that drifted
//! from the schema shows up as a mismatch in one direction or the other.
//!
//! `protoc` is not needed to build the crate, so these tests skip (with a note
//! on stderr) where it is missing, unless `BEAMLINE_REQUIRE_PROTOC` is set.

use std::io::Write;
use std::process::{Command, Stdio};

use prost::Message;
use prost_types::Timestamp;

use super::{openmetrics as om, prometheus as prom};

const PROTO_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/encoding/proto");

/// Runs `protoc --{mode}={message}` on `input`; `None` when protoc is absent.
fn protoc(mode: &str, message: &str, proto: &str, input: &[u8]) -> Option<Vec<u8>> {
    let spawned = Command::new("protoc")
        .arg(format!("--{mode}={message}"))
        .arg("-I")
        .arg(PROTO_DIR)
        .arg(proto)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("BEAMLINE_REQUIRE_PROTOC").is_none(),
                "BEAMLINE_REQUIRE_PROTOC is set but protoc is not on PATH"
            );
            eprintln!("skipped: protoc is not on PATH");
            return None;
        }
        Err(err) => panic!("cannot run protoc: {err}"),
    };

    // The inputs are a few hundred bytes, far below a pipe's buffer, so
    // writing all of stdin before reading stdout cannot deadlock.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "protoc failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
}

fn prom_label(name: &str, value: &str) -> prom::LabelPair {
    prom::LabelPair {
        name: Some(name.to_owned()),
        value: Some(value.to_owned()),
    }
}

fn om_label(name: &str, value: &str) -> om::Label {
    om::Label {
        name: name.to_owned(),
        value: value.to_owned(),
    }
}

#[test]
fn prometheus_types_decode_what_protoc_encodes() {
    let text = br#"
        name: "rpc_seconds" help: "RPC latency." type: HISTOGRAM unit: "seconds"
        metric {
          label { name: "method" value: "GET" }
          timestamp_ms: -5
          histogram {
            sample_count: 7 sample_sum: 1.5 schema: -2 zero_threshold: 0.001
            zero_count: 1
            bucket { cumulative_count: 3 upper_bound: 0.25
                     exemplar { label { name: "trace_id" value: "abc" } value: 0.2
                                timestamp { seconds: 1700000000 nanos: 5 } } }
            created_timestamp { seconds: 1600000000 }
            positive_span { offset: -1 length: 2 }
            positive_delta: 4 positive_delta: -3
          }
        }
    "#;
    let Some(bytes) = protoc(
        "encode",
        "io.prometheus.client.MetricFamily",
        "metrics.proto",
        text,
    ) else {
        return;
    };

    let family = prom::MetricFamily::decode(bytes.as_slice()).unwrap();
    assert_eq!(family.name.as_deref(), Some("rpc_seconds"));
    assert_eq!(family.help.as_deref(), Some("RPC latency."));
    assert_eq!(family.unit.as_deref(), Some("seconds"));
    assert_eq!(family.r#type(), prom::MetricType::Histogram);
    assert_eq!(family.metric.len(), 1);
    let metric = &family.metric[0];
    assert_eq!(metric.label, vec![prom_label("method", "GET")]);
    assert_eq!(metric.timestamp_ms, Some(-5));

    let hist = metric.histogram.as_ref().unwrap();
    assert_eq!(hist.sample_count, Some(7));
    assert_eq!(hist.sample_sum, Some(1.5));
    assert_eq!(hist.schema, Some(-2));
    assert_eq!(hist.zero_threshold, Some(0.001));
    assert_eq!(hist.zero_count, Some(1));
    assert_eq!(hist.positive_delta, vec![4, -3]);
    assert_eq!(hist.positive_span.len(), 1);
    assert_eq!(hist.positive_span[0].offset, Some(-1));
    assert_eq!(hist.positive_span[0].length, Some(2));
    assert_eq!(
        hist.created_timestamp,
        Some(Timestamp {
            seconds: 1_600_000_000,
            nanos: 0
        })
    );
    let bucket = &hist.bucket[0];
    assert_eq!(bucket.cumulative_count, Some(3));
    assert_eq!(bucket.upper_bound, Some(0.25));
    let exemplar = bucket.exemplar.as_ref().unwrap();
    assert_eq!(exemplar.label, vec![prom_label("trace_id", "abc")]);
    assert_eq!(exemplar.value, Some(0.2));
    assert_eq!(
        exemplar.timestamp,
        Some(Timestamp {
            seconds: 1_700_000_000,
            nanos: 5
        })
    );
}

#[test]
fn prometheus_encoding_reads_back_in_protoc() {
    let family = prom::MetricFamily {
        name: Some("jobs_total".to_owned()),
        help: Some("Jobs run.".to_owned()),
        r#type: Some(prom::MetricType::Counter.into()),
        metric: vec![prom::Metric {
            label: vec![prom_label("queue", "fast")],
            counter: Some(prom::Counter {
                value: Some(42.0),
                exemplar: None,
                created_timestamp: Some(Timestamp {
                    seconds: 12,
                    nanos: 340_000_000,
                }),
            }),
            ..prom::Metric::default()
        }],
        unit: None,
    };
    let Some(out) = protoc(
        "decode",
        "io.prometheus.client.MetricFamily",
        "metrics.proto",
        &family.encode_to_vec(),
    ) else {
        return;
    };

    let expected = "\
name: \"jobs_total\"
help: \"Jobs run.\"
type: COUNTER
metric {
  label {
    name: \"queue\"
    value: \"fast\"
  }
  counter {
    value: 42
    created_timestamp {
      seconds: 12
      nanos: 340000000
    }
  }
}
";
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

#[test]
fn openmetrics_types_decode_what_protoc_encodes() {
    let text = br#"
        metric_families {
          name: "jobs" type: COUNTER unit: "" help: "Jobs run."
          metrics {
            labels { name: "queue" value: "fast" }
            metric_points {
              counter_value {
                int_value: 18446744073709551615
                created { seconds: 12 }
                exemplar { value: 1.5 label { name: "trace_id" value: "x" } }
              }
              timestamp { seconds: 30 nanos: 7 }
            }
          }
        }
        metric_families {
          name: "state" type: STATE_SET
          metrics { metric_points { state_set_value {
            states { enabled: true name: "a" } states { enabled: false name: "b" }
          } } }
        }
    "#;
    let Some(bytes) = protoc(
        "encode",
        "openmetrics.MetricSet",
        "openmetrics_data_model.proto",
        text,
    ) else {
        return;
    };

    let set = om::MetricSet::decode(bytes.as_slice()).unwrap();
    assert_eq!(set.metric_families.len(), 2);
    let jobs = &set.metric_families[0];
    assert_eq!(jobs.name, "jobs");
    assert_eq!(jobs.r#type(), om::MetricType::Counter);
    assert_eq!(jobs.help, "Jobs run.");
    assert_eq!(jobs.metrics[0].labels, vec![om_label("queue", "fast")]);
    let point = &jobs.metrics[0].metric_points[0];
    assert_eq!(
        point.timestamp,
        Some(Timestamp {
            seconds: 30,
            nanos: 7
        })
    );
    let Some(om::metric_point::Value::CounterValue(counter)) = &point.value else {
        panic!("expected a counter value, got {:?}", point.value);
    };
    assert_eq!(
        counter.total,
        Some(om::counter_value::Total::IntValue(u64::MAX))
    );
    assert_eq!(
        counter.created,
        Some(Timestamp {
            seconds: 12,
            nanos: 0
        })
    );
    let exemplar = counter.exemplar.as_ref().unwrap();
    assert_eq!(exemplar.value, 1.5);
    assert_eq!(exemplar.label, vec![om_label("trace_id", "x")]);

    let state = &set.metric_families[1];
    assert_eq!(state.r#type(), om::MetricType::StateSet);
    let Some(om::metric_point::Value::StateSetValue(states)) =
        &state.metrics[0].metric_points[0].value
    else {
        panic!("expected a state set value");
    };
    let states: Vec<_> = states
        .states
        .iter()
        .map(|s| (s.name.as_str(), s.enabled))
        .collect();
    assert_eq!(states, vec![("a", true), ("b", false)]);
}

#[test]
fn openmetrics_encoding_reads_back_in_protoc() {
    let set = om::MetricSet {
        metric_families: vec![om::MetricFamily {
            name: "temp_celsius".to_owned(),
            r#type: om::MetricType::Gauge.into(),
            unit: "celsius".to_owned(),
            help: String::new(),
            metrics: vec![om::Metric {
                labels: vec![om_label("room", "lab")],
                metric_points: vec![om::MetricPoint {
                    value: Some(om::metric_point::Value::GaugeValue(om::GaugeValue {
                        value: Some(om::gauge_value::Value::DoubleValue(-0.5)),
                    })),
                    timestamp: None,
                }],
            }],
        }],
    };
    let Some(out) = protoc(
        "decode",
        "openmetrics.MetricSet",
        "openmetrics_data_model.proto",
        &set.encode_to_vec(),
    ) else {
        return;
    };

    // proto3 leaves out fields that hold their default (the empty help).
    let expected = "\
metric_families {
  name: \"temp_celsius\"
  type: GAUGE
  unit: \"celsius\"
  metrics {
    labels {
      name: \"room\"
      value: \"lab\"
    }
    metric_points {
      gauge_value {
        double_value: -0.5
      }
    }
  }
}
";
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}
