"""The maintained tools (python -m bench.NAME): report, ship, study, inference, peers, photos, audit, peer_labels,
stack, x_offset; and what they share: published (the study's published numbers), pictures."""
