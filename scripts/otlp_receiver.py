"""An OTLP/HTTP trace receiver: decodes each export request (protobuf, PyPI's
opentelemetry-proto) and keeps its spans, flattened to dicts. scripts/tracing-test runs it in
process; run alone, it receives on 127.0.0.1:PORT and, on SIGTERM or SIGINT, prints how many spans
and traces it received (scripts/flow-bench's tracing runs use it so).

  python otlp_receiver.py PORT
"""
import gzip
import http.server
import signal
import sys
import threading


class Receiver(http.server.ThreadingHTTPServer):
    """An OTLP/HTTP trace receiver: keeps every span it is sent, flattened to a dict."""

    def __init__(self, port=0):
        super().__init__(("127.0.0.1", port), ReceiverHandler)
        self.spans = []
        self.lock = threading.Lock()

    def all(self):
        with self.lock:
            return list(self.spans)

    def trace(self, trace_id):
        with self.lock:
            return [span for span in self.spans if span["traceId"] == trace_id]


class ReceiverHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if self.path != "/v1/traces" or "protobuf" not in self.headers.get("Content-Type", ""):
            self.send_error(415 if self.path == "/v1/traces" else 404)
            return
        request = trace_service_pb2.ExportTraceServiceRequest()
        request.ParseFromString(body)
        spans = []
        for resource_spans in request.resource_spans:
            resource = attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    spans.append({
                        "traceId": span.trace_id.hex(), "spanId": span.span_id.hex(),
                        "parentSpanId": span.parent_span_id.hex(), "name": span.name,
                        "start": span.start_time_unix_nano, "end": span.end_time_unix_nano,
                        "attributes": attributes(span.attributes),
                        "replica": resource.get("service.instance.id"),
                        "service": resource.get("service.name"),
                    })
        with self.server.lock:
            self.server.spans.extend(spans)
        answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *arguments):
        pass


def attributes(key_values):
    values = {}
    for pair in key_values:
        kind = pair.value.WhichOneof("value")
        values[pair.key] = getattr(pair.value, kind) if kind else None
    return values


def main():
    receiver = Receiver(int(sys.argv[1]))

    def stop(*_):
        with receiver.lock:
            traces = len({span["traceId"] for span in receiver.spans})
            print(f"otlp-receiver: {len(receiver.spans)} spans in {traces} traces", flush=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    receiver.serve_forever()


if __name__ == "__main__":
    main()
