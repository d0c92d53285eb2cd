"""Image-to-image translation GANs: pix2pix (paired, Isola et al. 2017), pix2pixHD (paired, coarse-to-fine, Wang et
al. 2018) and their discriminators, losses, paired data and trainer. The generators are ordinary stylecast
generators (generator.Generator), registered beside the perceptual ones, so export and the runtime treat them alike.
"""
