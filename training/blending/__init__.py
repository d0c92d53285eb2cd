"""Image blending and painterly harmonisation: paste an object into a painting and make it belong (the `blend`
command and `blend()`): the naive paste, Poisson cloning, Deep Image Blending and Deep Painterly Harmonization."""
