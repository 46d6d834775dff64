# The OpenMetrics validator of flowmeter-testkit (src/openmetrics.rs runs it with `python3 -c`):
# the Prometheus project's own parser, prometheus_client.openmetrics.parser, judges each body,
# so what decides "valid OpenMetrics" is a well-kept parser, not one written beside the encoder.
#
# One process serves a whole test binary (a python start per proptest case would dominate the
# run). Protocol, one request at a time:
#   request:  the body's length in bytes as ASCII decimal, "\n", then the body (UTF-8).
#   answer:   one line of ASCII JSON, {"families": [...]} or {"error": "<Type>: <message>"}.
# The first line written, before any request, is {"ready": "<prometheus_client version>"}.
# End of stdin (the test process dropped its Validator or exited) ends the process.
#
# Bytes in and out, never the locale: the body is decoded as UTF-8 here (strictly; what is not
# UTF-8 is an error like any other), and the answer is ASCII (json's ensure_ascii).

import json
import sys
from decimal import Decimal

from prometheus_client.openmetrics.parser import text_string_to_metric_families
from prometheus_client.samples import Timestamp


def number(value):
    # JSON has no NaN or infinities, so numbers travel as text that Rust's f64::from_str reads.
    # The parser gives an int for integral text (str: exact, however long; Rust rounds once)
    # and a float otherwise (repr: the shortest text that round-trips, or inf, -inf, nan).
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def timestamp(value):
    if value is None:
        return None
    if isinstance(value, Timestamp):
        # Seconds and nanoseconds: exact as a Decimal, rounded once to the nearest float.
        return repr(float(Decimal(value.sec) + Decimal(value.nsec) / 1000000000))
    return number(value)


def exemplar(value):
    if value is None:
        return None
    return {
        "labels": dict(value.labels),
        "value": number(value.value),
        "timestamp": timestamp(value.timestamp),
    }


def family(metric):
    return {
        "name": metric.name,
        "type": metric.type,
        "unit": metric.unit,
        "help": metric.documentation,
        "samples": [
            {
                "name": sample.name,
                "labels": dict(sample.labels),
                "value": number(sample.value),
                "timestamp": timestamp(sample.timestamp),
                "exemplar": exemplar(sample.exemplar),
            }
            for sample in metric.samples
        ],
    }


def answer(body):
    try:
        text = body.decode("utf-8")
        # The parser yields families lazily and raises at the first error it meets, some only
        # at the end (a missing "# EOF"): the list consumes every family.
        return {"families": [family(metric) for metric in text_string_to_metric_families(text)]}
    except Exception as error:  # the parser raises ValueError mostly, but not only
        return {"error": "%s: %s" % (type(error).__name__, error)}


def write(out, message):
    out.write(json.dumps(message, ensure_ascii=True, allow_nan=False).encode("ascii") + b"\n")
    out.flush()


def main():
    requests = sys.stdin.buffer
    out = sys.stdout.buffer
    try:
        from importlib.metadata import version

        write(out, {"ready": version("prometheus_client")})
    except Exception:  # the version is for messages only
        write(out, {"ready": "unknown"})
    while True:
        header = requests.readline()
        if not header:
            return
        length = int(header)
        body = requests.read(length)
        if len(body) != length:
            return
        write(out, answer(body))


main()
