//! Both protobuf formats, decoded by `protoc` from the `.proto` schemas
//! rather than by the crate's own generated types, and compared with the
//! exact messages expected.
//!
//! Clock readings (created times, exemplar times) are checked to lie within
//! the test's run, then replaced with `NOW` before the comparison.

#![cfg(feature = "protobuf")]

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use beamline::Format;
use beamline::{
    Buckets, Counter, Family, FloatCounter, Gauge, GaugeHistogram, Histogram, Info, Registry,
    StateSet, Summary, Unknown,
};

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Every metric type, with constant labels, exemplars, units, escaping and
/// a non-ASCII label value.
fn registry() -> Registry {
    let r = Registry::new();
    let lab = r.sub_registry("lab", &[("site", "cern")]).unwrap();
    lab.register("kicks", "RF kicks.", Family::<Counter, 1>::new(["ring"]))
        .unwrap()
        .get(["main"])
        .inc_by_with_exemplar(3, &[("trace_id", "4bf9")])
        .unwrap();
    r.register_with_unit("sent_bytes", "Bytes sent.", "bytes", FloatCounter::new())
        .unwrap()
        .inc_by(1536.5);
    r.register("in_flight", "Requests in flight.", Gauge::new())
        .unwrap()
        .set(-3);
    r.register(
        "path_hits",
        "Hits \"by\" path.",
        Family::<Gauge, 1>::new(["path"]),
    )
    .unwrap()
    .get(["say \"hi\"\n\u{e9}"])
    .set(4);
    let latency = r
        .register_with_unit(
            "latency_seconds",
            "Latency.",
            "seconds",
            Histogram::new(Buckets::new([0.1, 1.0]).unwrap()),
        )
        .unwrap();
    latency
        .observe_with_exemplar(0.05, &[("trace_id", "a1")])
        .unwrap();
    latency.observe(0.5);
    latency
        .observe_with_exemplar(7.0, &[("trace_id", "b2")])
        .unwrap();
    let deviation = r
        .register(
            "deviation",
            "Deviation.",
            GaugeHistogram::new(Buckets::new([-1.0, 1.0]).unwrap()),
        )
        .unwrap();
    deviation.observe(-0.5);
    deviation.observe(-2.0);
    let ticks = r.register("ticks", "Ticks.", Summary::new()).unwrap();
    ticks.observe(0.25);
    ticks.observe(0.5);
    r.register(
        "build",
        "Build.",
        Family::<Info, 1>::with_template(["host"], Info::new(&[("version", "1.2.0")])),
    )
    .unwrap()
    .get(["a"]);
    r.register("state", "State.", StateSet::new(&["stopped", "running"]))
        .unwrap()
        .set_only("running");
    r.register("legacy", "Legacy.", Unknown::new())
        .unwrap()
        .set(f64::NAN);
    r
}

/// Checks each `seconds:` of protoc's output against `window` and writes it
/// as `NOW`; drops the `nanos:` lines after checking their range.
fn clocked(text: &str, window: (f64, f64)) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        if let Some(v) = trimmed.strip_prefix("seconds: ") {
            let v: f64 = v.parse().unwrap();
            assert!(
                v >= window.0.floor() && v <= window.1,
                "{v} not in {window:?}"
            );
            out.push_str(indent);
            out.push_str("seconds: NOW\n");
        } else if let Some(v) = trimmed.strip_prefix("nanos: ") {
            assert!(
                (1..1_000_000_000).contains(&v.parse::<i64>().unwrap()),
                "{line}"
            );
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Splits a stream of varint-length-prefixed messages.
fn split_delimited(mut bytes: &[u8]) -> Vec<&[u8]> {
    let mut messages = Vec::new();
    while !bytes.is_empty() {
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let byte = bytes[0];
            bytes = &bytes[1..];
            len |= usize::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        let (message, rest) = bytes.split_at(len);
        messages.push(message);
        bytes = rest;
    }
    messages
}

const OPENMETRICS: &str = r#"metric_families {
  name: "lab_kicks"
  type: COUNTER
  help: "RF kicks."
  metrics {
    labels {
      name: "site"
      value: "cern"
    }
    labels {
      name: "ring"
      value: "main"
    }
    metric_points {
      counter_value {
        int_value: 3
        created {
          seconds: NOW
        }
        exemplar {
          value: 3
          timestamp {
            seconds: NOW
          }
          label {
            name: "trace_id"
            value: "4bf9"
          }
        }
      }
    }
  }
}
metric_families {
  name: "sent_bytes"
  type: COUNTER
  unit: "bytes"
  help: "Bytes sent."
  metrics {
    metric_points {
      counter_value {
        double_value: 1536.5
        created {
          seconds: NOW
        }
      }
    }
  }
}
metric_families {
  name: "in_flight"
  type: GAUGE
  help: "Requests in flight."
  metrics {
    metric_points {
      gauge_value {
        int_value: -3
      }
    }
  }
}
metric_families {
  name: "path_hits"
  type: GAUGE
  help: "Hits \"by\" path."
  metrics {
    labels {
      name: "path"
      value: "say \"hi\"\n\303\251"
    }
    metric_points {
      gauge_value {
        int_value: 4
      }
    }
  }
}
metric_families {
  name: "latency_seconds"
  type: HISTOGRAM
  unit: "seconds"
  help: "Latency."
  metrics {
    metric_points {
      histogram_value {
        double_value: 7.55
        count: 3
        created {
          seconds: NOW
        }
        buckets {
          count: 1
          upper_bound: 0.1
          exemplar {
            value: 0.05
            timestamp {
              seconds: NOW
            }
            label {
              name: "trace_id"
              value: "a1"
            }
          }
        }
        buckets {
          count: 2
          upper_bound: 1
        }
        buckets {
          count: 3
          upper_bound: inf
          exemplar {
            value: 7
            timestamp {
              seconds: NOW
            }
            label {
              name: "trace_id"
              value: "b2"
            }
          }
        }
      }
    }
  }
}
metric_families {
  name: "deviation"
  type: GAUGE_HISTOGRAM
  help: "Deviation."
  metrics {
    metric_points {
      histogram_value {
        double_value: -2.5
        count: 2
        buckets {
          count: 1
          upper_bound: -1
        }
        buckets {
          count: 2
          upper_bound: 1
        }
        buckets {
          count: 2
          upper_bound: inf
        }
      }
    }
  }
}
metric_families {
  name: "ticks"
  type: SUMMARY
  help: "Ticks."
  metrics {
    metric_points {
      summary_value {
        double_value: 0.75
        count: 2
        created {
          seconds: NOW
        }
      }
    }
  }
}
metric_families {
  name: "build"
  type: INFO
  help: "Build."
  metrics {
    labels {
      name: "host"
      value: "a"
    }
    metric_points {
      info_value {
        info {
          name: "version"
          value: "1.2.0"
        }
      }
    }
  }
}
metric_families {
  name: "state"
  type: STATE_SET
  help: "State."
  metrics {
    metric_points {
      state_set_value {
        states {
          name: "stopped"
        }
        states {
          enabled: true
          name: "running"
        }
      }
    }
  }
}
metric_families {
  name: "legacy"
  help: "Legacy."
  metrics {
    metric_points {
      unknown_value {
        double_value: nan
      }
    }
  }
}
"#;

#[test]
fn openmetrics_protobuf_decodes_with_protoc() {
    let Some(protoc) = common::protoc() else {
        return;
    };
    let start = now();
    let registry = registry();
    let bytes = registry.encode_to_vec(Format::OpenMetricsProtobuf);
    let window = (start, now());
    let text = common::protoc_decode(
        &protoc,
        "openmetrics.MetricSet",
        "openmetrics_data_model.proto",
        &bytes,
    );
    assert_eq!(clocked(&text, window), OPENMETRICS);
}

const PROMETHEUS: &str = r#"---
name: "lab_kicks_total"
help: "RF kicks."
type: COUNTER
metric {
  label {
    name: "site"
    value: "cern"
  }
  label {
    name: "ring"
    value: "main"
  }
  counter {
    value: 3
    exemplar {
      label {
        name: "trace_id"
        value: "4bf9"
      }
      value: 3
      timestamp {
        seconds: NOW
      }
    }
    created_timestamp {
      seconds: NOW
    }
  }
}
---
name: "sent_bytes_total"
help: "Bytes sent."
type: COUNTER
metric {
  counter {
    value: 1536.5
    created_timestamp {
      seconds: NOW
    }
  }
}
unit: "bytes"
---
name: "in_flight"
help: "Requests in flight."
type: GAUGE
metric {
  gauge {
    value: -3
  }
}
---
name: "path_hits"
help: "Hits \"by\" path."
type: GAUGE
metric {
  label {
    name: "path"
    value: "say \"hi\"\n\303\251"
  }
  gauge {
    value: 4
  }
}
---
name: "latency_seconds"
help: "Latency."
type: HISTOGRAM
metric {
  histogram {
    sample_count: 3
    sample_sum: 7.55
    bucket {
      cumulative_count: 1
      upper_bound: 0.1
      exemplar {
        label {
          name: "trace_id"
          value: "a1"
        }
        value: 0.05
        timestamp {
          seconds: NOW
        }
      }
    }
    bucket {
      cumulative_count: 2
      upper_bound: 1
    }
    bucket {
      cumulative_count: 3
      upper_bound: inf
      exemplar {
        label {
          name: "trace_id"
          value: "b2"
        }
        value: 7
        timestamp {
          seconds: NOW
        }
      }
    }
    created_timestamp {
      seconds: NOW
    }
  }
}
unit: "seconds"
---
name: "deviation"
help: "Deviation."
type: GAUGE_HISTOGRAM
metric {
  histogram {
    sample_count: 2
    sample_sum: -2.5
    bucket {
      cumulative_count: 1
      upper_bound: -1
    }
    bucket {
      cumulative_count: 2
      upper_bound: 1
    }
    bucket {
      cumulative_count: 2
      upper_bound: inf
    }
  }
}
---
name: "ticks"
help: "Ticks."
type: SUMMARY
metric {
  summary {
    sample_count: 2
    sample_sum: 0.75
    created_timestamp {
      seconds: NOW
    }
  }
}
---
name: "build_info"
help: "Build."
type: GAUGE
metric {
  label {
    name: "host"
    value: "a"
  }
  label {
    name: "version"
    value: "1.2.0"
  }
  gauge {
    value: 1
  }
}
---
name: "state"
help: "State."
type: GAUGE
metric {
  label {
    name: "state"
    value: "stopped"
  }
  gauge {
    value: 0
  }
}
metric {
  label {
    name: "state"
    value: "running"
  }
  gauge {
    value: 1
  }
}
---
name: "legacy"
help: "Legacy."
type: UNTYPED
metric {
  untyped {
    value: nan
  }
}
"#;

#[test]
fn prometheus_protobuf_decodes_with_protoc() {
    let Some(protoc) = common::protoc() else {
        return;
    };
    let start = now();
    let registry = registry();
    let bytes = registry.encode_to_vec(Format::PrometheusProtobuf);
    let window = (start, now());
    let mut text = String::new();
    for message in split_delimited(&bytes) {
        let one = common::protoc_decode(
            &protoc,
            "io.prometheus.client.MetricFamily",
            "metrics.proto",
            message,
        );
        text.push_str("---\n");
        text.push_str(&clocked(&one, window));
    }
    assert_eq!(text, PROMETHEUS);
}
