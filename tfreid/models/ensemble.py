"""Ensembles of independent submodels (paper 000, section VI).

An ensemble of k submodels of one architecture, each giving d_m dimensions,
embeds an image as the concatenation [f_1(x), ..., f_k(x)]. Paper 000 splits a
budget of D = 100 dims into k members of floor(D / k) (k = 3 gives 99), or
stacks n members of 25 dims (25 n in all).
"""

from tfreid.backend import keras


def build_ensemble(members: list[keras.Model], name: str = "ensemble") -> keras.Model:
    """One Keras model embedding with every member and concatenating the results."""
    if len(members) == 1:
        return members[0]
    inputs = keras.Input(shape=members[0].input_shape[1:], name="images")
    outputs = keras.layers.Concatenate(name="concatenated_embedding")(
        [member(inputs) for member in members])
    return keras.Model(inputs, outputs, name=name)

