"""Stage 5: what a common timeline is for beyond playing clips in sync (TCC supp. sections 2-4, TPL supp. figures):
sound transfer, retrieval, label propagation, anomaly maps. Each application is one module here, a library function
that a command in :mod:`mvsync.commands` calls."""
