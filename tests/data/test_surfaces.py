import numpy as np

from tfreid.data.surfaces import SurfaceConfig, render_view, surface_records, surface_texture


def test_generation_is_deterministic():
    config = SurfaceConfig(num_identities=4, views_per_identity=2, image_size=64, seed=1)
    first, second = surface_records(config), surface_records(config)
    assert [r.image for r in first["train"]] == [r.image for r in second["train"]]


def test_views_of_one_surface_are_closer_than_views_of_another():
    config = SurfaceConfig(image_size=64, seed=2)
    textures = [surface_texture(config.seed, identity) for identity in range(2)]
    views = [[render_view(t, config, i, v).astype(float) for v in range(3)]
             for i, t in enumerate(textures)]

    def corr(a, b):
        return np.corrcoef(a.ravel(), b.ravel())[0, 1]

    same = np.mean([corr(views[0][0], views[0][1]), corr(views[1][1], views[1][2])])
    different = np.mean([corr(views[0][0], views[1][0]), corr(views[0][1], views[1][2])])
    assert views[0][0].shape == (64, 64, 3)
    assert same > different + 0.2
