"""Reads an exposition on stdin with prometheus_client's strict OpenMetrics
parser and prints what it read as JSON, for beamline's tests.

Floats are printed with repr() so that NaN and infinities survive JSON.
The number of sample lines is printed too: the parser silently drops a
sample that repeats a series, so callers compare the two counts.
"""
import json
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def number(value):
    return None if value is None else repr(float(value))


def timestamp(value):
    if value is None:
        return None
    if hasattr(value, "sec"):
        return repr(value.sec + value.nsec / 1e9)
    return repr(float(value))


def main():
    text = sys.stdin.buffer.read().decode("utf-8")
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as error:  # the parser raises ValueError and others
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
        return
    out = []
    for family in families:
        samples = []
        for s in family.samples:
            exemplar = None
            if s.exemplar is not None:
                exemplar = {
                    "labels": s.exemplar.labels,
                    "value": number(s.exemplar.value),
                    "timestamp": timestamp(s.exemplar.timestamp),
                }
            samples.append(
                {
                    "name": s.name,
                    "labels": s.labels,
                    "value": number(s.value),
                    "timestamp": timestamp(s.timestamp),
                    "exemplar": exemplar,
                }
            )
        out.append(
            {
                "name": family.name,
                "type": family.type,
                "unit": family.unit,
                "help": family.documentation,
                "samples": samples,
            }
        )
    lines = [l for l in text.split("\n") if l and not l.startswith("#")]
    print(json.dumps({"families": out, "sample_lines": len(lines)}))


main()
