"""Baseline: Python's xml.etree.ElementTree.iterparse building the fields phrkit builds (see
apple_common.py). Usage: python benches/python/apple_etree.py export.xml"""

import xml.etree.ElementTree as ET

from apple_common import main

if __name__ == "__main__":
    main(ET.iterparse)
