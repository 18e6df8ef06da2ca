"""Baseline: lxml.etree.iterparse (libxml2) building the fields phrkit builds (see apple_common.py).
Needs `pip install lxml`. Usage: python benches/python/apple_lxml.py export.xml"""

from lxml import etree

from apple_common import main


def iterparse(path, events):
    # Entities are not resolved and the network is never used (same safety as phrkit).
    return etree.iterparse(path, events=events, resolve_entities=False, no_network=True, huge_tree=True)


if __name__ == "__main__":
    main(iterparse)
