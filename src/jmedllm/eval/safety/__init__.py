"""Japanese medical safety test sets, their judge, perturbations and canaries."""
