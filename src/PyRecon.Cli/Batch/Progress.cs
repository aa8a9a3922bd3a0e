using System.Diagnostics;
using Spectre.Console;

namespace PyRecon.Cli.Batch;

/// <summary>Running totals of a batch: files by outcome and code objects.</summary>
internal sealed class BatchCounts
{
    public int Total { get; init; }
    public int Done { get; set; }
    public int Ok { get; set; }
    public int Partial { get; set; }
    public int Failed { get; set; }
    public int CodeObjects { get; set; }
    public int CodeObjectsFailed { get; set; }

    public string Files => $"{Ok} ok, {Partial} partial, {Failed} failed";
}

/// <summary>How a batch shows its progress on stderr: <c>auto</c> (live on a terminal, else plain), or one mode.</summary>
internal enum ProgressMode { Auto, Live, Plain, None }

/// <summary>
/// The stderr side of a batch: diagnostic lines in input order, progress while it runs. <see cref="Live"/> is a
/// Spectre.Console display (lines are printed above it); <see cref="Plain"/> prints a line at every tenth of
/// the inputs, so logs stay short and the same whatever the number of jobs. The live display holds the lines back
/// until it ends (a wrapped line written under it garbles the display).
/// </summary>
internal abstract class ProgressView
{
    public abstract void Run(BatchCounts counts, string verb, Action body);
    public abstract void Line(string text);
    public virtual void Advance(BatchCounts counts) { }

    public static ProgressView Create(ProgressMode mode, TextWriter stderr, int total, bool stdoutShared)
    {
        if (total <= 1) mode = ProgressMode.None;
        // A handful of files needs no progress lines: the summary says it all.
        if (mode == ProgressMode.Auto && total < 10 && !(ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected)) mode = ProgressMode.None;
        if (mode == ProgressMode.Auto)
        {
            // Live only on a real terminal, and not when source is printed to that same terminal.
            bool terminal = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected
                            && Environment.GetEnvironmentVariable("TERM") is not "dumb"
                            && (Console.IsOutputRedirected || !stdoutShared);
            mode = terminal ? ProgressMode.Live : ProgressMode.Plain;
        }
        return mode switch
        {
            ProgressMode.Live => new Live(),
            ProgressMode.Plain => new Plain(stderr),
            _ => new Quiet(stderr),
        };
    }

    private sealed class Quiet(TextWriter stderr) : ProgressView
    {
        public override void Run(BatchCounts counts, string verb, Action body) => body();
        public override void Line(string text) => stderr.WriteLine(text);
    }

    private sealed class Plain(TextWriter stderr) : ProgressView
    {
        private int _nextTenth = 1;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private string _verb = "";

        public override void Run(BatchCounts counts, string verb, Action body)
        {
            _verb = verb;
            body();
        }

        public override void Line(string text) => stderr.WriteLine(text);

        public override void Advance(BatchCounts counts)
        {
            if (counts.Done * 10L < _nextTenth * (long)counts.Total) return;
            while (counts.Done * 10L >= _nextTenth * (long)counts.Total) _nextTenth++;
            if (counts.Done == counts.Total) return; // the summary follows
            stderr.WriteLine($"pyrecon: {_verb} {counts.Done}/{counts.Total} files ({100L * counts.Done / counts.Total}%): {counts.Files}");
        }
    }

    private sealed class Live : ProgressView
    {
        private readonly IAnsiConsole _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error),
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Yes,
        });
        private ProgressTask? _task;
        private string _verb = "";

        public override void Run(BatchCounts counts, string verb, Action body)
        {
            _verb = verb;
            _console.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                         new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(context =>
                {
                    _task = context.AddTask(Describe(counts), autoStart: true, maxValue: counts.Total);
                    body();
                });
            _task = null;
            foreach (var line in _held) Console.Error.WriteLine(line);
            _held.Clear();
        }

        private string Describe(BatchCounts c) =>
            Markup.Escape($"{_verb} {c.Done}/{c.Total}: ") + $"[green]{c.Ok} ok[/], [yellow]{c.Partial} partial[/], [red]{c.Failed} failed[/]";

        // Lines written while the display runs garble it when they wrap: they are printed, in order, once it is done.
        private readonly List<string> _held = [];

        public override void Line(string text)
        {
            if (_task is null) Console.Error.WriteLine(text);
            else _held.Add(text);
        }

        public override void Advance(BatchCounts counts)
        {
            if (_task is null) return;
            _task.Increment(1);
            _task.Description = Describe(counts);
        }
    }
}
