"""Source of the code an exported folder carries (copied next to its config.json).

These modules import only torch and transformers: the exported folder must load with
`trust_remote_code=True` where causalpref is not installed.
"""
