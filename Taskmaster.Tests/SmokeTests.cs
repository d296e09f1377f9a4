namespace Taskmaster.Tests;

public class SmokeTests
{
    [Fact]
    public void Core_assembly_loads() => Assert.Equal("Taskmaster.Core", typeof(Taskmaster.Core.Config.ProgramSpec).Assembly.GetName().Name);
}
