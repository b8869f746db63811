"""Item-item nearest-neighbour model."""
import numpy as np
from sklearn.preprocessing import normalize

from reco.features import interaction_weights, user_item_matrix


def item_similarities(matrix, neighbours, shrinkage):
    """Shrunk cosine similarity between items, top ``neighbours`` per item."""
    items = normalize(matrix.T.tocsr(), norm="l2", axis=1)
    sims = (items @ items.T).toarray()
    np.fill_diagonal(sims, 0.0)
    support = np.asarray((matrix > 0).sum(axis=0)).ravel()
    sims *= support[None, :] / (support[None, :] + shrinkage)
    top = np.argsort(-sims, axis=1)[:, :neighbours]
    return top, np.take_along_axis(sims, top, axis=1)


def fit(interactions, half_life_days, neighbours, shrinkage, event_weights=None):
    weights = interaction_weights(interactions, half_life_days, event_weights)
    matrix, users, items = user_item_matrix(interactions, weights)
    top, scores = item_similarities(matrix, neighbours, shrinkage)
    return {
        "user_index": {user: row for row, user in enumerate(users)},
        "items": items,
        "matrix": matrix,
        "neighbours": top,
        "scores": scores,
    }


def recommend(model, user_id, k):
    """Top-k unseen items for a known user; an empty list for unknown users."""
    row = model["user_index"].get(user_id)
    if row is None:
        return []
    history = model["matrix"][row]
    scores = np.zeros(len(model["items"]))
    for item, weight in zip(history.indices, history.data):
        np.add.at(scores, model["neighbours"][item], model["scores"][item] * weight)
    scores[history.indices] = -np.inf
    best = np.argsort(-scores)[:k]
    return [model["items"][i] for i in best if scores[i] > 0]
