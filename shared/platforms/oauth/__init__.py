"""OAuth connect flows: each platform's authorization URL, code exchange, refresh and owner check
behind one Protocol (base.py), one module per platform family (docs/connecting.md)."""
