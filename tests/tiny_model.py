"""A tiny, randomly initialised sequence-classification model and tokenizer,
built and saved by the tests themselves: no download, loads in milliseconds."""

from __future__ import annotations

from pathlib import Path

WORDS = (
    "i love hate this the camera is great awful terrible good bad leak never again today our company "
    "product stock news @user http war room meeting at noon"
).split()


def save_tiny_model(path: Path, id2label: dict[int, str], seed: int = 0, max_positions: int = 64) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *dict.fromkeys(WORDS)])}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        model_max_length=max_positions,
    )
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=max_positions,
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
        # BERT's usual 0.02 makes a random model say the same for every text.
        initializer_range=1.0,
    )
    model = BertForSequenceClassification(config)
    path.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(path)
    model.save_pretrained(path)
    return path
