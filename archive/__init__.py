"""Issued documents: numbering, sealing, hash chain, rendering, queries, replay."""
