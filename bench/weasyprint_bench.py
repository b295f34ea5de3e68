"""Renders one HTML file to PDF with WeasyPrint N times in one warm process.

Usage: python3 bench/weasyprint_bench.py letter.html N [out.pdf]
Prints {"version", "ms": [...], "bytes", "pages"} as JSON on stdout. The first render is
timed too; the caller decides what counts as warm-up.
"""
import json
import sys
import time

import weasyprint


def main() -> None:
    path, count = sys.argv[1], int(sys.argv[2])
    out = sys.argv[3] if len(sys.argv) > 3 else None
    with open(path, encoding="utf-8") as f:
        html = f.read()
    times = []
    pdf = b""
    pages = 0
    for _ in range(count):
        started = time.perf_counter()
        # The same work the Chromium path does per letter: parse, lay out, write the PDF.
        document = weasyprint.HTML(string=html).render()
        pdf = document.write_pdf()
        times.append((time.perf_counter() - started) * 1000)
        pages = len(document.pages)
    if out:
        with open(out, "wb") as f:
            f.write(pdf)
    json.dump({"version": weasyprint.__version__, "ms": times, "bytes": len(pdf), "pages": pages}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
