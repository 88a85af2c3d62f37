"""The joint NER+EL model: features, vocabularies, the network, ensembles, loading and prediction."""

from jointel.model.batch import length_batches
from jointel.model.clusters import CLUSTERS_FILE
from jointel.model.config import ModelConfig, saved_values
from jointel.model.contextual import LAST_LAYERS, ContextualEncoder, load_minilm, minilm_directory
from jointel.model.contextual_source import ContextualSource
from jointel.model.coreference import share_person_links
from jointel.model.ensemble import Ensemble
from jointel.model.features import SentenceFeatures
from jointel.model.gazetteer import Gazetteer, TitleGazetteer, lookup_keys
from jointel.model.inputs import HeldOut, KBAccess, gold_features, is_named
from jointel.model.joint import INT8, INT8_SCALE, JointModel, quantized_rows
from jointel.model.loading import load_model
from jointel.model.predict import link_given_spans, predict_documents
from jointel.model.threshold import load_nil_bias, load_nil_threshold, save_nil_threshold
from jointel.model.tokens import TokenIds
from jointel.model.vectors import load_glove
from jointel.model.vocab import Vocab, build_vocabs, save_vocabs

__all__ = [
    "CLUSTERS_FILE",
    "INT8",
    "INT8_SCALE",
    "LAST_LAYERS",
    "ContextualEncoder",
    "ContextualSource",
    "Ensemble",
    "Gazetteer",
    "HeldOut",
    "JointModel",
    "KBAccess",
    "ModelConfig",
    "SentenceFeatures",
    "TitleGazetteer",
    "TokenIds",
    "Vocab",
    "build_vocabs",
    "gold_features",
    "is_named",
    "length_batches",
    "link_given_spans",
    "load_glove",
    "load_minilm",
    "load_model",
    "load_nil_bias",
    "load_nil_threshold",
    "lookup_keys",
    "minilm_directory",
    "predict_documents",
    "quantized_rows",
    "save_nil_threshold",
    "save_vocabs",
    "saved_values",
    "share_person_links",
]
