"""What the PyTorch baseline scripts share: importing torch with a CUDA device, or saying why not."""


def load_torch():
    """torch when it imports and sees a CUDA device; otherwise prints one line saying which is missing and returns None."""
    try:
        import torch
    except ImportError as e:
        print(f"torch not available: {e}")
        return None
    if not torch.cuda.is_available():
        print(f"no CUDA device for torch {torch.__version__} (torch.cuda.is_available() is False)")
        return None
    return torch
