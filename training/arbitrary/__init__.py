"""Arbitrary-style transfer: one network for any painting, given at run time (Ghiasi et al. 2017).

A style-prediction network turns a painting into a short style vector once; a LiteNet-sized transformer whose
instance-norm scales and shifts are computed from that vector stylises every frame. `network.py` holds both,
`style_bank.py` the augmented training styles, `trainer.py` the training loop.
"""
