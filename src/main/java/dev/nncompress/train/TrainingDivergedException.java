package dev.nncompress.train;

/** The loss became NaN or infinite; the message says where and suggests a remedy. */
public class TrainingDivergedException extends RuntimeException {
    public TrainingDivergedException(String message) { super(message); }
}
