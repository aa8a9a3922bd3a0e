namespace PyRecon.Cli.Batch;

/// <summary>
/// Runs independent work items on up to <c>jobs</c> threads and hands the results to the calling thread strictly
/// in input order, so everything written (stdout, files, stderr lines, the report) is the same whatever the
/// number of jobs. Workers run at most a bounded window ahead of the writer, which keeps memory flat.
/// </summary>
internal static class OrderedBatch
{
    public static void Run<T>(int count, int jobs, Func<int, T> work, Action<int, T> emit)
    {
        if (jobs <= 1 || count <= 1)
        {
            for (int i = 0; i < count; i++) emit(i, work(i));
            return;
        }
        var done = new TaskCompletionSource<T>[count];
        for (int i = 0; i < count; i++) done[i] = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        int next = -1;
        using var window = new SemaphoreSlim(Math.Max(jobs * 4, 16));
        using var stop = new CancellationTokenSource();
        var workers = new Task[Math.Min(jobs, count)];
        for (int w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Factory.StartNew(() =>
            {
                while (true)
                {
                    window.Wait(stop.Token);
                    int i = Interlocked.Increment(ref next);
                    if (i >= count) return;
                    try { done[i].SetResult(work(i)); }
                    catch (Exception e) { done[i].SetException(e); }
                }
            }, stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        try
        {
            for (int i = 0; i < count; i++)
            {
                var result = done[i].Task.GetAwaiter().GetResult();
                done[i] = null!;
                emit(i, result);
                window.Release();
            }
        }
        finally
        {
            stop.Cancel();
            try { Task.WaitAll(workers); }
            catch (AggregateException) { /* workers stopped by the cancellation */ }
        }
    }
}
