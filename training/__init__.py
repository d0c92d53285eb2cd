"""Everything that needs PyTorch: the VGG19 loss network, perceptual losses, Gatys pixel optimisation, the
feed-forward generators and their trainer.

Importing this package imports nothing heavy; the modules below import torch themselves.
"""
