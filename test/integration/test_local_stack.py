"""The local stack's main job in its short mode, checked through its own
report: every stored tweet has a snapshot, no lot is left pending, tweet
fetches equal snapshots, stop reasons add up to the stopped tweets, and the
chart is well-formed SVG with one curve per tweet shown."""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

ROOT = os.environ.get("ET_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("ET_BUILD_DIR") or os.path.join(ROOT, "build")


class LocalStack(unittest.TestCase):
    def test_quick_run_is_consistent(self):
        with tempfile.TemporaryDirectory() as tmp:
            report, svg = os.path.join(tmp, "report.json"), os.path.join(tmp, "curves.svg")
            r = subprocess.run([sys.executable, os.path.join(ROOT, "deploy", "local-stack", "run"), "--quick",
                                "--no-install", "--no-build", "--build-dir", BUILD, "--json-report", report,
                                "--svg", svg], capture_output=True, text=True, timeout=240)
            self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])
            with open(report) as f:
                rep = json.load(f)
            self.assertEqual(rep["tweets"], 40)
            self.assertEqual(rep["tweets_without_snapshot"], 0)
            self.assertEqual(rep["lots_pending"], 0)
            self.assertEqual(rep["outbox_pending"], 0)
            self.assertEqual(rep["tiers"]["hot"], 0)
            self.assertEqual(rep["tweet_fetches"], rep["snapshots"])
            self.assertEqual(sum(rep["stop_reasons"].values()), rep["stopped"])
            self.assertEqual(rep["stopped"], rep["tweets"])
            self.assertLess(rep["tweet_fetches"], rep["blind_fetches"])
            root = ET.parse(svg).getroot()
            self.assertTrue(root.tag.endswith("svg"))
            curves = [e for e in root.iter() if e.get("class") == "curve"]
            self.assertEqual(len(curves), min(10, rep["tweets"]))
            self.assertEqual(len({c.get("data-tweet") for c in curves}), len(curves))


if __name__ == "__main__":
    unittest.main(verbosity=2)
