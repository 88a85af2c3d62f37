"""Annotating a corpus of shards with Ray Data, on this machine or on a Ray cluster.

Each pending shard becomes one row of a Ray Dataset (its ids and texts) in a block of its own, and
`map_batches` sends the rows to a fixed pool of actors. An actor loads the model once and annotates a whole shard
with one `annotate_many` call, so a shard's output is exactly what `annotate_many(shard texts, batch_size)` gives in
a single process, whatever the number of workers, the order shards finish in, or which shards a rerun skips (the
model's float32 scores move in the last bits with the make-up of a batch, so batches must not straddle shards).
The driver writes each result as it arrives, to a temporary file renamed into place; many shards go through one
Dataset run (a "wave") so that the actors load the model once per wave, not once per shard. Through Ray Client
(`ray://…`) the same pipeline runs in a relay actor on the cluster, and the driver still reads and writes the files.

Ray is imported only here and only when a corpus is annotated: `import jointel` stays light.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa

from jointel.annotate.annotator import load
from jointel.annotate.shards import (
    MENTIONS,
    Settings,
    Shard,
    mention_records,
    read_shard,
    write_shard,
)

WAVE_DOCUMENTS = 100_000  # documents held in Ray's object store at once (one Dataset run)
_OUTPUT_COLUMNS = (("id", "ids"), ("length", "lengths"), ("mentions", "mentions"))  # shard row → output rows


@contextmanager
def ray_session(address: str | None = None) -> Iterator[None]:
    """Connect to the Ray cluster at `address`, unless Ray is already connected; shut down only what was started here.

    None starts a private Ray instance on this machine even when this machine belongs to a cluster (`ray start`),
    so that the default does not depend on what else runs here; `auto` joins that cluster.
    """
    import ray

    if ray.is_initialized():
        yield
        return
    if address is None:
        ray.init(address="local", include_dashboard=False)
    else:
        ray.init(address=address)
    try:
        yield
    finally:
        ray.shutdown()


def cluster_cpus() -> int:
    """CPUs of the connected Ray cluster: the default number of workers."""
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def annotate_shards(
    shards: Sequence[Shard], output: Path, settings: Settings, workers: int, wave_documents: int = WAVE_DOCUMENTS
) -> Iterator[Shard]:
    """Annotate `shards` with a pool of `workers` Ray actors (Ray must be connected) and write each into `output`;
    yields each shard as it is written. `prepare_output` says which shards a rerun still has to do."""
    for wave in _waves(shards, wave_documents):
        for index, rows in _annotated(wave, settings, min(workers, len(wave))):
            write_shard(output / wave[index].name, rows, settings.output_format)
            yield wave[index]


class ShardAnnotator:
    """A Ray Data actor: loads the model once, then annotates each shard row it is given with `annotate_many`.

    One torch thread per actor: the pool has one actor per CPU, and threads on top would only fight for cores.
    """

    def __init__(self, settings: Settings):
        import torch

        torch.set_num_threads(1)
        self.annotator = load(settings.model, settings.kb, settings.nil_threshold)
        self.settings = settings

    def __call__(self, batch: pa.Table) -> pa.Table:
        texts = batch.column("texts").to_pylist()  # one list of texts per shard
        mentions = [
            self.annotator.annotate_many(shard, self.settings.batch_size, top_k=self.settings.top_k) for shard in texts
        ]
        return pa.table(
            {
                "shard": batch.column("shard"),
                "ids": batch.column("ids"),
                "lengths": [[len(text) for text in shard] for shard in texts],
                "mentions": pa.array([mention_records(shard) for shard in mentions], pa.list_(MENTIONS)),
            }
        )


def _annotated(wave: Sequence[Shard], settings: Settings, workers: int) -> Iterator[tuple[int, pa.Table]]:
    """(index in `wave`, id / length / mentions rows) of each shard of `wave`, in the order they finish."""
    import ray.util.client

    blocks = [_shard_row(index, shard) for index, shard in enumerate(wave)]  # one block each: one actor call each
    if ray.util.client.ray.is_connected():
        return _relayed(blocks, settings, workers)
    return _annotated_blocks(blocks, settings, workers)


def _annotated_blocks(blocks: list[pa.Table], settings: Settings, workers: int) -> Iterator[tuple[int, pa.Table]]:
    import ray.data

    dataset = ray.data.from_arrow(blocks).map_batches(
        ShardAnnotator,
        fn_constructor_args=(settings,),
        batch_size=1,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=1,
    )
    for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
        for i in range(batch.num_rows):
            columns = {name: batch.column(column)[i].values for name, column in _OUTPUT_COLUMNS}
            yield batch.column("shard")[i].as_py(), pa.table(columns)


class _Relay:
    """The pipeline run on the cluster for a Ray Client driver (`ray://…`), handing back one shard per call.

    Ray Data does not run in a Ray Client driver (ray-project/ray#48682), and Ray Client has no streaming
    generators, so an actor on the cluster iterates the Dataset and the driver pulls the results one by one; the
    driver still reads the input and writes the shards, on its own machine.
    """

    def __init__(self, blocks: list[pa.Table], settings: Settings, workers: int):
        self._results = _annotated_blocks(blocks, settings, workers)

    def next(self) -> tuple[int, pa.Table] | None:
        return next(self._results, None)


def _relayed(blocks: list[pa.Table], settings: Settings, workers: int) -> Iterator[tuple[int, pa.Table]]:
    import ray

    relay = ray.remote(num_cpus=0)(_Relay).remote(blocks, settings, workers)
    while (result := ray.get(relay.next.remote())) is not None:
        yield result
    ray.kill(relay)


def _shard_row(index: int, shard: Shard) -> pa.Table:
    documents = read_shard(shard)
    return pa.table(
        {
            "shard": [index],
            "ids": pa.array([documents.column("id").to_pylist()], pa.list_(pa.string())),
            "texts": pa.array([documents.column("text").to_pylist()], pa.list_(pa.string())),
        }
    )


def _waves(shards: Sequence[Shard], wave_documents: int) -> Iterator[list[Shard]]:
    """Consecutive shards grouped into runs of at most `wave_documents` documents (or one large shard)."""
    wave: list[Shard] = []
    for shard in shards:
        if wave and sum(item.size for item in wave) + shard.size > wave_documents:
            yield wave
            wave = []
        wave.append(shard)
    if wave:
        yield wave
